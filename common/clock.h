#ifndef OBJGATE_COMMON_CLOCK_H_
#define OBJGATE_COMMON_CLOCK_H_

#include "absl/time/time.h"

namespace objgate {

// The time source and sleeper of code that waits, such as the retry loop. Production code
// passes `RealClock::Instance()`; tests pass a `FakeClock` (fake_clock.h), whose sleeps
// return at once, so a 1 s, 2 s, 4 s schedule is checked in microseconds.
//
// Implementations must be safe to call from many threads at once.
class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() = 0;
  virtual void SleepFor(absl::Duration duration) = 0;
};

// The wall clock: absl::Now() and absl::SleepFor().
class RealClock final : public Clock {
 public:
  // One stateless instance serves the whole process.
  static RealClock& Instance();

  absl::Time Now() override;
  void SleepFor(absl::Duration duration) override;

 private:
  RealClock() = default;
};

}  // namespace objgate

#endif  // OBJGATE_COMMON_CLOCK_H_
