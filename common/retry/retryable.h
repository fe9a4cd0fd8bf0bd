#ifndef OBJGATE_COMMON_RETRY_RETRYABLE_H_
#define OBJGATE_COMMON_RETRY_RETRYABLE_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace objgate {

// Whether an error is worth another attempt is decided where the error is understood (the
// status table, which sees the HTTP status or the curl code) and acted on elsewhere (the
// retry loop). The decision travels with the status as a payload, so that the code stays
// the one the caller will get: a 503 is UNAVAILABLE and retryable, a TLS certificate
// refusal is UNAVAILABLE and not.

// The payload type URL of the mark. Its value is empty, or the Retry-After duration in
// absl::FormatDuration form ("2s").
inline constexpr absl::string_view kRetryablePayloadUrl = "type.objgate.dev/retryable";

// `status` marked as retryable, with the wait the upstream asked for if it sent
// Retry-After (negative waits count as zero). An OK status is returned as it is.
absl::Status MarkRetryable(absl::Status status,
                           std::optional<absl::Duration> retry_after = std::nullopt);

// `status` without the mark, for an error that must not be retried after all: an upload
// whose body was already consumed cannot be replayed, and an error the retry loop gave up
// on must not be retried again by an outer layer.
absl::Status ClearRetryable(absl::Status status);

bool IsRetryable(const absl::Status& status);

// The Retry-After wait carried by a retryable status; nullopt when there is none.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

}  // namespace objgate

#endif  // OBJGATE_COMMON_RETRY_RETRYABLE_H_
