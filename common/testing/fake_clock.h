#ifndef OBJGATE_COMMON_TESTING_FAKE_CLOCK_H_
#define OBJGATE_COMMON_TESTING_FAKE_CLOCK_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace objgate {

// A Clock for tests: time moves only when the test says so. SleepFor returns at once,
// advancing Now() by the requested duration and recording it, so that a test can assert
// the exact schedule of waits without spending it.
//
//   FakeClock clock;
//   Run(clock);
//   EXPECT_THAT(clock.sleeps(), ElementsAre(absl::Seconds(1), absl::Seconds(2)));
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time now = absl::UnixEpoch()) : now_(now) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  void SleepFor(absl::Duration duration) override {
    absl::MutexLock lock(&mu_);
    sleeps_.push_back(duration);
    now_ += duration;
  }

  // Moves time forward without recording a sleep: the time an attempt itself takes.
  void Advance(absl::Duration duration) {
    absl::MutexLock lock(&mu_);
    now_ += duration;
  }

  // Every SleepFor duration so far, in call order.
  std::vector<absl::Duration> sleeps() const {
    absl::MutexLock lock(&mu_);
    return sleeps_;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace objgate

#endif  // OBJGATE_COMMON_TESTING_FAKE_CLOCK_H_
