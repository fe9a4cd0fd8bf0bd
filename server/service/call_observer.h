#ifndef OBJGATE_SERVER_SERVICE_CALL_OBSERVER_H_
#define OBJGATE_SERVER_SERVICE_CALL_OBSERVER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace objgate {

// What one call did, for the access log and the metrics.
struct AccessRecord {
  std::string method;
  std::string tenant_id;
  std::string key;
  std::string request_id;
  absl::Status status;
  // Payload bytes from the caller (Upload) and to the caller (Download).
  int64_t bytes_received = 0;
  int64_t bytes_sent = 0;
  absl::Duration duration;
  int retries = 0;
  int resumes = 0;
};

// Told by the service when each call starts and ends, however it ends: the access log and
// the metrics are observers. Called from many threads at once; must not block for long,
// since the call's thread waits.
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // `method` is the RPC's name, e.g. "Upload".
  virtual void OnCallStart(absl::string_view method) = 0;
  virtual void OnCallEnd(const AccessRecord& record) = 0;
};

// Tells each of several observers, in order.
class CallObservers final : public CallObserver {
 public:
  // Not owned; each must outlive this.
  explicit CallObservers(std::vector<CallObserver*> observers) : observers_(std::move(observers)) {}

  void OnCallStart(absl::string_view method) override {
    for (CallObserver* observer : observers_) observer->OnCallStart(method);
  }
  void OnCallEnd(const AccessRecord& record) override {
    for (CallObserver* observer : observers_) observer->OnCallEnd(record);
  }

 private:
  const std::vector<CallObserver*> observers_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_CALL_OBSERVER_H_
