#ifndef OBJGATE_SERVER_SERVICE_TESTING_RECORDING_CALL_OBSERVER_H_
#define OBJGATE_SERVER_SERVICE_TESTING_RECORDING_CALL_OBSERVER_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/service/call_observer.h"

namespace objgate {

// A CallObserver that keeps what it is told, for tests of the service.
class RecordingCallObserver final : public CallObserver {
 public:
  void OnCallStart(absl::string_view method) override {
    absl::MutexLock lock(&mu_);
    started_.emplace_back(method);
  }
  void OnCallEnd(const AccessRecord& record) override {
    absl::MutexLock lock(&mu_);
    ended_.push_back(record);
  }

  std::vector<std::string> started() const {
    absl::MutexLock lock(&mu_);
    return started_;
  }
  std::vector<AccessRecord> ended() const {
    absl::MutexLock lock(&mu_);
    return ended_;
  }
  // Blocks until at least `calls` calls have ended, for a call that the caller ended
  // before the service did (a cancelled one); returns them.
  std::vector<AccessRecord> WaitForEnded(size_t calls) const {
    absl::MutexLock lock(&mu_);
    auto enough = [this, calls]()
                      ABSL_SHARED_LOCKS_REQUIRED(mu_) { return ended_.size() >= calls; };
    mu_.Await(absl::Condition(&enough));
    return ended_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> started_ ABSL_GUARDED_BY(mu_);
  std::vector<AccessRecord> ended_ ABSL_GUARDED_BY(mu_);
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_TESTING_RECORDING_CALL_OBSERVER_H_
