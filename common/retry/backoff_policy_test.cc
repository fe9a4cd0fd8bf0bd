#include "common/retry/backoff_policy.h"

#include <cstdint>
#include <set>
#include <string>

#include "absl/random/mock_distributions.h"
#include "absl/random/mocking_bit_gen.h"
#include "absl/random/random.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::Return;

BackoffPolicy MakePolicy(const RetryOptions& options) {
  absl::StatusOr<BackoffPolicy> policy = BackoffPolicy::Create(options);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

int64_t Nanos(absl::Duration duration) { return absl::ToInt64Nanoseconds(duration); }

TEST(BackoffPolicyTest, CreateRejectsInvalidOptions) {
  struct Case {
    RetryOptions options;
    const char* message;
  };
  const Case cases[] = {
      {{-1, absl::Seconds(1), absl::Seconds(30)}, "max_retries must be 0 or more, got -1"},
      {{3, absl::ZeroDuration(), absl::Seconds(30)}, "base_delay must be positive, got 0"},
      {{3, absl::Seconds(-1), absl::Seconds(30)}, "base_delay must be positive, got -1s"},
      {{3, absl::Seconds(1), absl::InfiniteDuration()}, "max_delay must be finite"},
      {{3, absl::Seconds(2), absl::Seconds(1)},
       "max_delay (1s) must not be shorter than base_delay (2s)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<BackoffPolicy> policy = BackoffPolicy::Create(c.options);
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(policy.status().message()), HasSubstr(c.message));
  }
}

TEST(BackoffPolicyTest, CreateAcceptsEdgeValues) {
  EXPECT_TRUE(BackoffPolicy::Create(RetryOptions{}).ok());
  EXPECT_TRUE(BackoffPolicy::Create({0, absl::Seconds(1), absl::Seconds(1)}).ok());
  EXPECT_TRUE(BackoffPolicy::Create({3, absl::Nanoseconds(1), absl::Hours(1)}).ok());
}

TEST(BackoffPolicyTest, DefaultsAreTheSdkSchedule) {
  const BackoffPolicy policy = MakePolicy(RetryOptions{});
  EXPECT_EQ(policy.NominalDelay(1), absl::Seconds(1));
  EXPECT_EQ(policy.NominalDelay(2), absl::Seconds(2));
  EXPECT_EQ(policy.NominalDelay(3), absl::Seconds(4));
  absl::BitGen gen;
  EXPECT_TRUE(policy.DelayBeforeRetry(3, gen).has_value());
  EXPECT_EQ(policy.DelayBeforeRetry(4, gen), std::nullopt);
}

TEST(BackoffPolicyTest, NominalDelayDoublesUpToMaxDelay) {
  const BackoffPolicy policy = MakePolicy({10, absl::Seconds(1), absl::Seconds(10)});
  const absl::Duration expected[] = {absl::Seconds(1), absl::Seconds(2),  absl::Seconds(4),
                                     absl::Seconds(8), absl::Seconds(10), absl::Seconds(10)};
  for (int retry = 1; retry <= 6; ++retry) {
    EXPECT_EQ(policy.NominalDelay(retry), expected[retry - 1]) << "retry " << retry;
  }
}

TEST(BackoffPolicyTest, HugeRetryNumbersStayAtMaxDelay) {
  const BackoffPolicy policy = MakePolicy({1 << 30, absl::Nanoseconds(1), absl::Seconds(30)});
  EXPECT_EQ(policy.NominalDelay(1 << 30), absl::Seconds(30));
  absl::BitGen gen;
  EXPECT_THAT(policy.DelayBeforeRetry(1 << 30, gen), Optional(testing::Le(absl::Seconds(30))));
}

TEST(BackoffPolicyTest, NoDelayOutsideOneToMaxRetries) {
  const BackoffPolicy policy = MakePolicy({2, absl::Seconds(1), absl::Seconds(30)});
  absl::BitGen gen;
  EXPECT_EQ(policy.DelayBeforeRetry(0, gen), std::nullopt);
  EXPECT_EQ(policy.DelayBeforeRetry(-1, gen), std::nullopt);
  EXPECT_EQ(policy.DelayBeforeRetry(3, gen), std::nullopt);
  const BackoffPolicy never = MakePolicy({0, absl::Seconds(1), absl::Seconds(30)});
  EXPECT_EQ(never.DelayBeforeRetry(1, gen), std::nullopt);
}

TEST(BackoffPolicyTest, JitterIsDrawnFromTheUpperHalfOfEachStep) {
  const BackoffPolicy policy = MakePolicy(RetryOptions{});
  absl::MockingBitGen gen;
  // The exact range asked for at each step pins the jitter; the draw is passed through.
  EXPECT_CALL(absl::MockUniform<int64_t>(),
              Call(absl::IntervalClosedClosed, gen, Nanos(absl::Milliseconds(500)),
                   Nanos(absl::Seconds(1))))
      .WillOnce(Return(Nanos(absl::Seconds(1))));
  EXPECT_CALL(absl::MockUniform<int64_t>(), Call(absl::IntervalClosedClosed, gen,
                                                 Nanos(absl::Seconds(1)), Nanos(absl::Seconds(2))))
      .WillOnce(Return(Nanos(absl::Seconds(1))));
  EXPECT_CALL(absl::MockUniform<int64_t>(), Call(absl::IntervalClosedClosed, gen,
                                                 Nanos(absl::Seconds(2)), Nanos(absl::Seconds(4))))
      .WillOnce(Return(Nanos(absl::Milliseconds(3500))));
  EXPECT_THAT(policy.DelayBeforeRetry(1, gen), Optional(absl::Seconds(1)));
  EXPECT_THAT(policy.DelayBeforeRetry(2, gen), Optional(absl::Seconds(1)));
  EXPECT_THAT(policy.DelayBeforeRetry(3, gen), Optional(absl::Milliseconds(3500)));
}

TEST(BackoffPolicyTest, RealJitterStaysInBoundsAndSpreadsCallers) {
  const BackoffPolicy policy = MakePolicy(RetryOptions{});
  absl::BitGen gen;
  for (int retry = 1; retry <= 3; ++retry) {
    const absl::Duration ceiling = policy.NominalDelay(retry);
    std::set<int64_t> distinct;
    for (int i = 0; i < 1000; ++i) {
      const absl::Duration delay = *policy.DelayBeforeRetry(retry, gen);
      ASSERT_GE(delay, ceiling / 2);
      ASSERT_LE(delay, ceiling);
      distinct.insert(Nanos(delay));
    }
    // 1000 callers that failed together do not come back together.
    EXPECT_GT(distinct.size(), 900u);
  }
}

}  // namespace
}  // namespace objgate
