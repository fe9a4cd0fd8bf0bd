#ifndef OBJGATE_COMMON_RETRY_BACKOFF_POLICY_H_
#define OBJGATE_COMMON_RETRY_BACKOFF_POLICY_H_

#include <optional>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace objgate {

// How a failed upstream call is retried. The defaults are the SDK's: 3 retries waiting
// about 1 s, 2 s and 4 s.
struct RetryOptions {
  // Retries after the first attempt, so a call makes at most max_retries + 1 attempts.
  int max_retries = 3;
  // The wait before the first retry; each further retry waits twice as long as the last.
  absl::Duration base_delay = absl::Seconds(1);
  // No single wait is longer, including one that the upstream asked for with Retry-After.
  absl::Duration max_delay = absl::Seconds(30);
};

// The retry schedule that RetryOptions describe: whether retry number n happens, and how
// long to wait before it. Retry n waits a uniform draw from [d/2, d], where
// d = min(base_delay * 2^(n-1), max_delay).
//
// Why that jitter: the top of the range is the documented 1 s, 2 s, 4 s schedule, so the
// schedule stays recognisable in logs; the draw spreads callers that failed together over
// half of each step, so they do not come back in lockstep; and every wait is at least half
// the nominal one, so an overloaded upstream gets real relief (with "full" jitter, [0, d],
// some callers would retry almost at once).
//
// Immutable, so one policy serves any number of threads; the random source is passed to
// each DelayBeforeRetry call.
//
//   absl::StatusOr<BackoffPolicy> policy = BackoffPolicy::Create(options);
//   if (!policy.ok()) return policy.status();  // a configuration error, at startup
class BackoffPolicy {
 public:
  // INVALID_ARGUMENT, naming the field, unless max_retries >= 0, base_delay > 0 and
  // base_delay <= max_delay < absl::InfiniteDuration().
  static absl::StatusOr<BackoffPolicy> Create(const RetryOptions& options);

  // The wait before retry number `retry` (1 for the first retry), drawn from `jitter`;
  // nullopt when `retry` is past max_retries (or below 1).
  std::optional<absl::Duration> DelayBeforeRetry(int retry, absl::BitGenRef jitter) const;

  // The top of the jitter range for retry number `retry` >= 1: the unjittered schedule.
  absl::Duration NominalDelay(int retry) const;

  const RetryOptions& options() const { return options_; }

 private:
  explicit BackoffPolicy(const RetryOptions& options) : options_(options) {}

  RetryOptions options_;
};

}  // namespace objgate

#endif  // OBJGATE_COMMON_RETRY_BACKOFF_POLICY_H_
