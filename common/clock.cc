#include "common/clock.h"

#include "absl/time/clock.h"

namespace objgate {

RealClock& RealClock::Instance() {
  // Never destroyed, so that code running during static destruction may still use it.
  static RealClock* const instance = new RealClock();
  return *instance;
}

absl::Time RealClock::Now() { return absl::Now(); }

void RealClock::SleepFor(absl::Duration duration) { absl::SleepFor(duration); }

}  // namespace objgate
