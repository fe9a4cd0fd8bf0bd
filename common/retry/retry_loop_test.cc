#include "common/retry/retry_loop.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/random/mock_distributions.h"
#include "absl/random/mocking_bit_gen.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/retry/backoff_policy.h"
#include "common/testing/fake_clock.h"
#include "common/retry/retryable.h"

namespace objgate {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

absl::Status Retryable(absl::string_view message,
                       std::optional<absl::Duration> retry_after = std::nullopt) {
  return MarkRetryable(absl::UnavailableError(message), retry_after);
}

// Returns the scripted results one per call, and counts the calls.
class ScriptedAttempt {
 public:
  explicit ScriptedAttempt(std::vector<absl::StatusOr<int>> results)
      : results_(std::move(results)) {}

  absl::StatusOr<int> operator()() {
    EXPECT_LT(calls_, results_.size()) << "more attempts than the script has";
    return results_.at(calls_++);
  }
  size_t calls() const { return calls_; }

 private:
  std::vector<absl::StatusOr<int>> results_;
  size_t calls_ = 0;
};

class RetryLoopTest : public ::testing::Test {
 protected:
  RetryLoopTest() { UseJitter(/*top=*/true); }

  // Each jittered wait is the top (the nominal 1 s, 2 s, 4 s) or the bottom (half of it)
  // of its range, so the schedule is exact.
  void UseJitter(bool top) {
    ON_CALL(absl::MockUniform<int64_t>(), Call(absl::IntervalClosedClosed, jitter_, _, _))
        .WillByDefault([top](absl::IntervalClosedClosedTag, int64_t low, int64_t high) {
          return top ? high : low;
        });
  }

  static BackoffPolicy Policy(const RetryOptions& options = RetryOptions{}) {
    return *BackoffPolicy::Create(options);
  }

  ::testing::NiceMock<absl::MockingBitGen> jitter_;
  FakeClock clock_{kStart};
};

TEST_F(RetryLoopTest, SucceedsAfterExactlyNRetriesOnTheSdkSchedule) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  ScriptedAttempt attempt({Retryable("e1"), Retryable("e2"), Retryable("e3"), 42});
  absl::StatusOr<int> result = loop.Run(attempt);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(attempt.calls(), 4u);
  EXPECT_EQ(loop.retries(), 3);
  EXPECT_THAT(clock_.sleeps(), ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(4)));
}

TEST_F(RetryLoopTest, SuccessAtFirstAttemptNeverWaits) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  EXPECT_EQ(*loop.Run([] { return absl::StatusOr<int>(7); }), 7);
  EXPECT_EQ(loop.retries(), 0);
  EXPECT_THAT(clock_.sleeps(), IsEmpty());
}

TEST_F(RetryLoopTest, JitterBottomIsHalfTheSchedule) {
  UseJitter(/*top=*/false);
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  ScriptedAttempt attempt({Retryable("e1"), Retryable("e2"), Retryable("e3"), 1});
  ASSERT_TRUE(loop.Run(attempt).ok());
  EXPECT_THAT(clock_.sleeps(),
              ElementsAre(absl::Milliseconds(500), absl::Seconds(1), absl::Seconds(2)));
}

TEST_F(RetryLoopTest, OwnJitterStaysWithinTheScheduleBounds) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture());
  ScriptedAttempt attempt({Retryable("e1"), Retryable("e2"), Retryable("e3"), 1});
  ASSERT_TRUE(loop.Run(attempt).ok());
  const std::vector<absl::Duration> sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const absl::Duration nominal = absl::Seconds(1) * (1 << i);
    EXPECT_GE(sleeps[i], nominal / 2) << i;
    EXPECT_LE(sleeps[i], nominal) << i;
  }
}

TEST_F(RetryLoopTest, WaitsAreCappedAtMaxDelay) {
  const BackoffPolicy policy = Policy({6, absl::Seconds(1), absl::Seconds(5)});
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  const absl::Status status = loop.Run([] { return Retryable("busy"); });
  EXPECT_EQ(status.message(), "busy (after 7 attempts)");
  EXPECT_THAT(clock_.sleeps(), ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                           absl::Seconds(5), absl::Seconds(5), absl::Seconds(5)));
}

TEST_F(RetryLoopTest, ExhaustedRetriesReturnTheLastErrorWithTheAttemptCount) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  int calls = 0;
  const absl::StatusOr<int> result = loop.Run([&]() -> absl::StatusOr<int> {
    absl::Status status = Retryable(absl::StrCat("HTTP 503, try ", ++calls));
    status.SetPayload("type.example/detail", absl::Cord("kept"));
    return status;
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(loop.retries(), 3);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(result.status().message(), "HTTP 503, try 4 (after 4 attempts)");
  // Given up on, so an outer layer does not retry it again; other payloads survive.
  EXPECT_FALSE(IsRetryable(result.status()));
  EXPECT_EQ(result.status().GetPayload("type.example/detail"), absl::Cord("kept"));
}

TEST_F(RetryLoopTest, ZeroMaxRetriesMakesOneAttempt) {
  const BackoffPolicy policy = Policy({0, absl::Seconds(1), absl::Seconds(1)});
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  EXPECT_EQ(loop.Run([] { return Retryable("busy"); }).message(), "busy (after 1 attempt)");
  EXPECT_EQ(loop.retries(), 0);
  EXPECT_THAT(clock_.sleeps(), IsEmpty());
}

TEST_F(RetryLoopTest, NonRetryableErrorReturnsAtOnceUntouched) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  ScriptedAttempt attempt({absl::NotFoundError("no such object"), 1});
  EXPECT_EQ(loop.Run(attempt).status(), absl::NotFoundError("no such object"));
  EXPECT_EQ(attempt.calls(), 1u);
  EXPECT_EQ(loop.retries(), 0);
  EXPECT_THAT(clock_.sleeps(), IsEmpty());
}

TEST_F(RetryLoopTest, NonRetryableErrorAfterRetriesCarriesTheAttemptCount) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  ScriptedAttempt attempt({Retryable("reset"), absl::NotFoundError("no such object"), 1});
  EXPECT_EQ(loop.Run(attempt).status(), absl::NotFoundError("no such object (after 2 attempts)"));
  EXPECT_EQ(loop.retries(), 1);
}

TEST_F(RetryLoopTest, ClearedErrorOfAnAttemptThatCannotBeReplayedEndsTheLoop) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  int calls = 0;
  // An upload whose body is consumed: the 503 it got cannot be answered by sending again.
  const absl::Status status = loop.Run([&] {
    ++calls;
    return ClearRetryable(Retryable("HTTP 503"));
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(status, absl::UnavailableError("HTTP 503"));
}

TEST_F(RetryLoopTest, RetryAfterLongerThanTheBackoffIsHonoured) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  ScriptedAttempt attempt({Retryable("429", absl::Seconds(10)), Retryable("429"), 1});
  ASSERT_TRUE(loop.Run(attempt).ok());
  EXPECT_THAT(clock_.sleeps(), ElementsAre(absl::Seconds(10), absl::Seconds(2)));
}

TEST_F(RetryLoopTest, RetryAfterShorterThanTheBackoffIsNotAShortcut) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  ScriptedAttempt attempt({Retryable("503", absl::Milliseconds(100)), 1});
  ASSERT_TRUE(loop.Run(attempt).ok());
  EXPECT_THAT(clock_.sleeps(), ElementsAre(absl::Seconds(1)));
}

TEST_F(RetryLoopTest, RetryAfterIsCappedAtMaxDelay) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  ScriptedAttempt attempt({Retryable("503", absl::Hours(1)), 1});
  ASSERT_TRUE(loop.Run(attempt).ok());
  EXPECT_THAT(clock_.sleeps(), ElementsAre(absl::Seconds(30)));
}

TEST_F(RetryLoopTest, DeadlineStopsRetriesBeforeAWaitThatWouldReachIt) {
  const BackoffPolicy policy = Policy();
  // Waits of 1 s and 2 s end before kStart + 4 s; the 4 s wait would not.
  RetryLoop loop(policy, clock_, kStart + absl::Seconds(4), jitter_);
  const absl::Status status = loop.Run([] { return Retryable("busy"); });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "busy (after 3 attempts; the deadline leaves no time for another)");
  EXPECT_EQ(loop.retries(), 2);
  EXPECT_THAT(clock_.sleeps(), ElementsAre(absl::Seconds(1), absl::Seconds(2)));
}

TEST_F(RetryLoopTest, AWaitEndingExactlyAtTheDeadlineIsNotStarted) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, kStart + absl::Seconds(3), jitter_);
  loop.Run([] { return Retryable("busy"); }).IgnoreError();
  EXPECT_THAT(clock_.sleeps(), ElementsAre(absl::Seconds(1)));
}

TEST_F(RetryLoopTest, RetryAfterBeyondTheDeadlineStopsAtOnce) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, kStart + absl::Seconds(5), jitter_);
  const absl::Status status = loop.Run([] { return Retryable("429", absl::Seconds(10)); });
  EXPECT_EQ(status.message(), "429 (after 1 attempt; the deadline leaves no time for another)");
  EXPECT_THAT(clock_.sleeps(), IsEmpty());
}

TEST_F(RetryLoopTest, SimulatedTimeNeverPassesTheDeadline) {
  const BackoffPolicy policy = Policy({10, absl::Seconds(1), absl::Seconds(30)});
  for (int deadline_ms = 0; deadline_ms <= 40000; deadline_ms += 250) {
    for (absl::Duration attempt_time : {absl::ZeroDuration(), absl::Milliseconds(300)}) {
      FakeClock clock(kStart);
      const absl::Time deadline = kStart + absl::Milliseconds(deadline_ms);
      RetryLoop loop(policy, clock, deadline, jitter_);
      loop.set_on_retry([&](int, const absl::Status&, absl::Duration delay) {
        EXPECT_LT(clock.Now() + delay, deadline);
      });
      loop.Run([&] {
            clock.Advance(attempt_time);
            return Retryable("busy");
          })
          .IgnoreError();
      // Only the last attempt itself may run past the deadline; waits never do.
      EXPECT_LE(clock.Now(), std::max(deadline, kStart) + attempt_time)
          << "deadline " << deadline_ms << " ms";
    }
  }
}

TEST_F(RetryLoopTest, OnRetryReportsEachFailedAttemptAndItsWait) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  std::vector<std::tuple<int, std::string, absl::Duration>> seen;
  loop.set_on_retry([&](int attempt, const absl::Status& failure, absl::Duration delay) {
    seen.emplace_back(attempt, std::string(failure.message()), delay);
  });
  ScriptedAttempt attempt({Retryable("e1"), Retryable("e2", absl::Seconds(9)), 1});
  ASSERT_TRUE(loop.Run(attempt).ok());
  EXPECT_THAT(seen, ElementsAre(std::make_tuple(1, "e1", absl::Seconds(1)),
                                std::make_tuple(2, "e2", absl::Seconds(9))));
}

TEST_F(RetryLoopTest, RunsAttemptsThatReturnAPlainStatus) {
  const BackoffPolicy policy = Policy();
  RetryLoop loop(policy, clock_, absl::InfiniteFuture(), jitter_);
  int calls = 0;
  const absl::Status status =
      loop.Run([&] { return ++calls < 3 ? Retryable("reset") : absl::OkStatus(); });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(loop.retries(), 2);
}

}  // namespace
}  // namespace objgate
