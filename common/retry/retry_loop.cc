#include "common/retry/retry_loop.h"

#include <algorithm>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/retry/retryable.h"

namespace objgate {
namespace {

// `failure` as the loop's final answer: same code and payloads, the attempt count (and why
// the loop stopped early, if it did) in the message, and no retryable mark.
absl::Status GiveUp(const absl::Status& failure, int attempts, absl::string_view reason) {
  absl::Status status(failure.code(),
                      absl::StrCat(failure.message(), " (after ", attempts,
                                   attempts == 1 ? " attempt" : " attempts", reason, ")"));
  failure.ForEachPayload([&status](absl::string_view url, const absl::Cord& payload) {
    status.SetPayload(url, payload);
  });
  return ClearRetryable(std::move(status));
}

}  // namespace

RetryLoop::RetryLoop(const BackoffPolicy& policy, Clock& clock, absl::Time deadline)
    : policy_(policy), clock_(clock), deadline_(deadline), jitter_(own_jitter_) {}

RetryLoop::RetryLoop(const BackoffPolicy& policy, Clock& clock, absl::Time deadline,
                     absl::BitGenRef jitter)
    : policy_(policy), clock_(clock), deadline_(deadline), jitter_(jitter) {}

std::optional<absl::Status> RetryLoop::WaitForRetry(const absl::Status& failure) {
  const int attempts = retries_ + 1;
  if (!IsRetryable(failure)) {
    if (attempts == 1) return failure;
    return GiveUp(failure, attempts, "");
  }
  std::optional<absl::Duration> delay = policy_.DelayBeforeRetry(attempts, jitter_);
  if (!delay.has_value()) return GiveUp(failure, attempts, "");
  if (std::optional<absl::Duration> retry_after = RetryAfter(failure)) {
    delay = std::max(*delay, std::min(*retry_after, policy_.options().max_delay));
  }
  if (clock_.Now() + *delay >= deadline_) {
    return GiveUp(failure, attempts, "; the deadline leaves no time for another");
  }
  ++retries_;
  if (on_retry_) on_retry_(attempts, failure, *delay);
  clock_.SleepFor(*delay);
  return std::nullopt;
}

}  // namespace objgate
