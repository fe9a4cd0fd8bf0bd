#ifndef OBJGATE_COMMON_RETRY_RETRY_AFTER_H_
#define OBJGATE_COMMON_RETRY_RETRY_AFTER_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace objgate {

// The longest wait ParseRetryAfter reports. Anything longer is clamped to it: no caller
// waits that long, and the bound keeps arithmetic on the result far from overflow.
inline constexpr absl::Duration kMaxRetryAfter = absl::Hours(24);

// Parses an HTTP Retry-After header value (RFC 9110, section 10.2.3) into the wait it asks
// for, measured from `now`:
//   - delta-seconds: "120". A leading '-' ("-5") is outside the grammar but means no
//     wait, so it gives zero.
//   - HTTP-date in the preferred IMF-fixdate form "Sun, 06 Nov 1994 08:49:37 GMT", or in
//     the obsolete forms "Sunday, 06-Nov-94 08:49:37 GMT" (RFC 850; a two-digit year more
//     than 50 years ahead of `now` is taken from the previous century) and
//     "Sun Nov  6 08:49:37 1994" (asctime). The day name must be one, but is not checked
//     against the date. A date in the past gives zero.
// Surrounding whitespace is ignored; the result is clamped to [0, kMaxRetryAfter].
// Returns nullopt for anything else. The value is untrusted: any bytes are accepted
// without crashing, and nothing outside the grammar is guessed at.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

}  // namespace objgate

#endif  // OBJGATE_COMMON_RETRY_RETRY_AFTER_H_
