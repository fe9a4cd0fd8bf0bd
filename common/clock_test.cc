#include "common/clock.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/testing/fake_clock.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(RealClockTest, IsOneSharedInstanceThatMovesForward) {
  RealClock& clock = RealClock::Instance();
  EXPECT_EQ(&clock, &RealClock::Instance());
  const absl::Time before = clock.Now();
  clock.SleepFor(absl::Milliseconds(1));
  EXPECT_GE(clock.Now() - before, absl::Milliseconds(1));
}

TEST(FakeClockTest, SleepAdvancesTimeAtOnceAndIsRecorded) {
  const absl::Time start = absl::FromUnixSeconds(1700000000);
  FakeClock clock(start);
  clock.SleepFor(absl::Seconds(1));
  clock.SleepFor(absl::Seconds(2));
  EXPECT_EQ(clock.Now(), start + absl::Seconds(3));
  EXPECT_THAT(clock.sleeps(), ElementsAre(absl::Seconds(1), absl::Seconds(2)));
}

TEST(FakeClockTest, AdvanceMovesTimeWithoutRecordingASleep) {
  FakeClock clock;
  clock.Advance(absl::Minutes(5));
  EXPECT_EQ(clock.Now(), absl::UnixEpoch() + absl::Minutes(5));
  EXPECT_THAT(clock.sleeps(), IsEmpty());
}

}  // namespace
}  // namespace objgate
