#include "common/retry/retryable.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/types/optional.h"

namespace objgate {

absl::Status MarkRetryable(absl::Status status, std::optional<absl::Duration> retry_after) {
  absl::Cord value;
  if (retry_after.has_value()) {
    value = absl::FormatDuration(std::max(*retry_after, absl::ZeroDuration()));
  }
  // SetPayload ignores an OK status, which is what we want.
  status.SetPayload(kRetryablePayloadUrl, std::move(value));
  return status;
}

absl::Status ClearRetryable(absl::Status status) {
  status.ErasePayload(kRetryablePayloadUrl);
  return status;
}

bool IsRetryable(const absl::Status& status) {
  return status.GetPayload(kRetryablePayloadUrl).has_value();
}

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  absl::optional<absl::Cord> value = status.GetPayload(kRetryablePayloadUrl);
  absl::Duration retry_after;
  if (!value.has_value() || value->empty() ||
      !absl::ParseDuration(std::string(*value), &retry_after)) {
    return std::nullopt;
  }
  return retry_after;
}

}  // namespace objgate
