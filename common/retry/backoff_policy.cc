#include "common/retry/backoff_policy.h"

#include <algorithm>
#include <cstdint>

#include "absl/random/distributions.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace objgate {

absl::StatusOr<BackoffPolicy> BackoffPolicy::Create(const RetryOptions& options) {
  if (options.max_retries < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("retry max_retries must be 0 or more, got ", options.max_retries));
  }
  if (options.base_delay <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("retry base_delay must be positive, got ",
                                                   absl::FormatDuration(options.base_delay)));
  }
  if (options.max_delay == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("retry max_delay must be finite");
  }
  if (options.max_delay < options.base_delay) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retry max_delay (", absl::FormatDuration(options.max_delay),
        ") must not be shorter than base_delay (", absl::FormatDuration(options.base_delay), ")"));
  }
  return BackoffPolicy(options);
}

absl::Duration BackoffPolicy::NominalDelay(int retry) const {
  // Doubling stops at the cap, so a large `retry` neither loops long nor overflows.
  absl::Duration delay = options_.base_delay;
  for (int i = 1; i < retry && delay < options_.max_delay; ++i) delay *= 2;
  return std::min(delay, options_.max_delay);
}

std::optional<absl::Duration> BackoffPolicy::DelayBeforeRetry(int retry,
                                                              absl::BitGenRef jitter) const {
  if (retry < 1 || retry > options_.max_retries) return std::nullopt;
  const int64_t ceiling = absl::ToInt64Nanoseconds(NominalDelay(retry));
  return absl::Nanoseconds(
      absl::Uniform<int64_t>(absl::IntervalClosedClosed, jitter, ceiling / 2, ceiling));
}

}  // namespace objgate
