#ifndef OBJGATE_COMMON_RETRY_RETRY_LOOP_H_
#define OBJGATE_COMMON_RETRY_RETRY_LOOP_H_

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/random/bit_gen_ref.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/retry/backoff_policy.h"
#include "common/clock.h"

namespace objgate {

// Runs one call's attempts under a BackoffPolicy until one succeeds or the loop gives up.
//
//   RetryLoop loop(policy, RealClock::Instance(), context.deadline);
//   loop.set_on_retry([&](int attempt, const absl::Status& failure, absl::Duration delay) {
//     LogRetry(request_id, attempt, failure, delay);
//   });
//   absl::StatusOr<ListPage> page = loop.Run([&] { return upstream.List(context, query); });
//   access_log.retries = loop.retries();
//
// The rules:
//   - Only a status marked with MarkRetryable (retryable.h) is retried; any other error,
//     and success, ends the loop at once.
//   - At most policy.options().max_retries retries, so max_retries + 1 attempts.
//   - The wait is the policy's jittered delay, or the status's Retry-After when that is
//     longer; either way no more than max_delay, so a server cannot park the caller.
//   - No wait runs into the deadline: if the next wait would end at or after it, the loop
//     stops at once and returns the last error rather than sleeping for nothing.
//
// An error the loop gives up on after retrying, or could have retried, keeps its code and
// message, gains " (after N attempts)" and loses its retryable mark, so that an outer
// layer does not multiply the attempts. A first-attempt error that is not retryable is
// returned untouched.
//
// An attempt that cannot be replayed (an upload whose body was already consumed) returns
// its error through ClearRetryable(), which ends the loop.
//
// A RetryLoop serves one call on one thread and is cheap to make; the policy and the clock
// must outlive it.
class RetryLoop {
 public:
  // Called before each wait, for logs and metrics. `attempt` is the 1-based number of the
  // attempt that failed with `failure`, which is also the number of the retry to come;
  // `delay` is the wait about to start.
  using OnRetry =
      std::function<void(int attempt, const absl::Status& failure, absl::Duration delay)>;

  // Jitter comes from a generator of the loop's own.
  RetryLoop(const BackoffPolicy& policy, Clock& clock, absl::Time deadline);
  // Jitter comes from `jitter`, which must outlive the loop; for deterministic tests.
  RetryLoop(const BackoffPolicy& policy, Clock& clock, absl::Time deadline, absl::BitGenRef jitter);

  // Not copyable or movable: `jitter_` may refer to `own_jitter_`.
  RetryLoop(const RetryLoop&) = delete;
  RetryLoop& operator=(const RetryLoop&) = delete;

  void set_on_retry(OnRetry on_retry) { on_retry_ = std::move(on_retry); }

  // Calls `attempt` (returning absl::Status or absl::StatusOr<T>) until the rules above end
  // the loop, and returns what the last attempt returned, annotated as described.
  template <typename Attempt>
  std::invoke_result_t<Attempt&> Run(Attempt&& attempt);

  // Retries made by Run: attempts made minus one. For the access log.
  int retries() const { return retries_; }

 private:
  static const absl::Status& StatusOf(const absl::Status& status) { return status; }
  template <typename T>
  static const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
    return result.status();
  }

  // After a failed attempt: sleeps and returns nullopt when another attempt should follow,
  // otherwise returns the status Run should end with.
  std::optional<absl::Status> WaitForRetry(const absl::Status& failure);

  const BackoffPolicy& policy_;
  Clock& clock_;
  const absl::Time deadline_;
  absl::InsecureBitGen own_jitter_;
  absl::BitGenRef jitter_;
  OnRetry on_retry_;
  int retries_ = 0;
};

template <typename Attempt>
std::invoke_result_t<Attempt&> RetryLoop::Run(Attempt&& attempt) {
  retries_ = 0;
  while (true) {
    std::invoke_result_t<Attempt&> result = attempt();
    if (StatusOf(result).ok()) return result;
    std::optional<absl::Status> final_status = WaitForRetry(StatusOf(result));
    if (final_status.has_value()) return *std::move(final_status);
  }
}

}  // namespace objgate

#endif  // OBJGATE_COMMON_RETRY_RETRY_LOOP_H_
