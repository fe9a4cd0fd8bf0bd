#include "common/retry/retryable.h"

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::Optional;

TEST(RetryableTest, UnmarkedStatusIsNotRetryable) {
  const absl::Status status = absl::UnavailableError("down");
  EXPECT_FALSE(IsRetryable(status));
  EXPECT_EQ(RetryAfter(status), std::nullopt);
}

TEST(RetryableTest, MarkKeepsCodeAndMessage) {
  const absl::Status status = MarkRetryable(absl::UnavailableError("down"));
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "down");
  EXPECT_EQ(RetryAfter(status), std::nullopt);
}

TEST(RetryableTest, MarkCarriesRetryAfter) {
  const absl::Status status =
      MarkRetryable(absl::UnavailableError("busy"), absl::Milliseconds(2500));
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(RetryAfter(status), Optional(absl::Milliseconds(2500)));
}

TEST(RetryableTest, NegativeRetryAfterCountsAsZero) {
  const absl::Status status = MarkRetryable(absl::UnavailableError("busy"), absl::Seconds(-3));
  EXPECT_THAT(RetryAfter(status), Optional(absl::ZeroDuration()));
}

TEST(RetryableTest, OkStatusCannotBeMarked) {
  EXPECT_FALSE(IsRetryable(MarkRetryable(absl::OkStatus(), absl::Seconds(1))));
}

TEST(RetryableTest, ClearRemovesOnlyTheMark) {
  absl::Status status = MarkRetryable(absl::UnavailableError("busy"), absl::Seconds(1));
  status.SetPayload("type.example/other", absl::Cord("kept"));
  const absl::Status cleared = ClearRetryable(status);
  EXPECT_FALSE(IsRetryable(cleared));
  EXPECT_EQ(RetryAfter(cleared), std::nullopt);
  EXPECT_EQ(cleared.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cleared.message(), "busy");
  EXPECT_EQ(cleared.GetPayload("type.example/other"), absl::Cord("kept"));
}

}  // namespace
}  // namespace objgate
