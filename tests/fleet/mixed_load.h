#ifndef OBJGATE_TESTS_FLEET_MIXED_LOAD_H_
#define OBJGATE_TESTS_FLEET_MIXED_LOAD_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace objgate::test_support {

struct LoadOptions {
  std::string target;
  std::string tenant = "fleet";
  int callers = 6;
  // Object sizes run from 1 B to this.
  size_t max_object_bytes = 64 << 20;
  // Attempts of a call that fails UNAVAILABLE or CANCELLED, as a call cut off on its way
  // ends (or a download whose stream broke); every call here is idempotent.
  int max_attempts = 5;
  absl::Duration first_retry_delay = absl::Milliseconds(100);
};

// One attempt of a call that failed.
struct FailedAttempt {
  std::string method;
  absl::Status status;
  absl::Time started;
  absl::Time ended;
};

struct LoadReport {
  std::map<std::string, int64_t> calls;  // by method
  int64_t total_calls = 0;
  int64_t retried_calls = 0;  // succeeded after one or more failed attempts
  int64_t failed_calls = 0;   // failed on every attempt, or with a code not retried
  std::vector<FailedAttempt> failed_attempts;
  int64_t bytes_uploaded = 0;
  int64_t bytes_verified = 0;  // downloaded and compared with what was uploaded
  // What did not hold: wrong bytes, a stored object missing or one deleted still listed.
  std::vector<std::string> problems;
};

// Callers, each with an objgate::Client of its own (its own connection to `target`), that
// upload objects of 1 B to max_object_bytes under keys of their own, download them back
// and compare every byte, list, stat and delete them, until Stop. Each key's bytes follow
// from its name, so any stored object can be checked by anyone at any time.
class MixedLoad {
 public:
  static absl::StatusOr<std::unique_ptr<MixedLoad>> Start(LoadOptions options);
  ~MixedLoad();

  // The failed attempts so far.
  std::vector<FailedAttempt> FailedAttempts() const;
  int64_t CallsSoFar() const { return calls_so_far_.load(); }

  // Ends the callers after their current calls, then reads back every object of the tenant
  // through `target` and checks it against what the callers know: every object whose
  // upload succeeded and that was not deleted is there and whole, no deleted object is
  // listed, and an object whose upload failed is either absent or whole.
  LoadReport StopAndVerify();

  struct Caller;

 private:
  explicit MixedLoad(LoadOptions options);
  void Verify(LoadReport& report);

  const LoadOptions options_;
  std::vector<std::unique_ptr<Caller>> callers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> calls_so_far_{0};
  mutable absl::Mutex mu_;
  std::vector<FailedAttempt> failed_attempts_ ABSL_GUARDED_BY(mu_);
};

// The bytes stored under `key` by MixedLoad: its size is the key's last "-" field.
std::string ObjectBytes(const std::string& key);

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_FLEET_MIXED_LOAD_H_
