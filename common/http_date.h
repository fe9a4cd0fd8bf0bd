#ifndef OBJGATE_COMMON_HTTP_DATE_H_
#define OBJGATE_COMMON_HTTP_DATE_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace objgate {

// An HTTP-date (RFC 9110 5.6.7) in any of its three forms: "Sun, 06 Nov 1994 08:49:37 GMT",
// the obsolete "Sunday, 06-Nov-94 08:49:37 GMT" (its two-digit year read relative to
// `now`) and asctime's "Sun Nov  6 08:49:37 1994". nullopt for anything else, including a
// date that does not exist. Retry-After and Last-Modified carry these.
std::optional<absl::Time> ParseHttpDate(absl::string_view value, absl::Time now);

}  // namespace objgate

#endif  // OBJGATE_COMMON_HTTP_DATE_H_
