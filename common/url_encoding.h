#ifndef OBJGATE_COMMON_URL_ENCODING_H_
#define OBJGATE_COMMON_URL_ENCODING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace objgate {

// Percent-encodes every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~),
// so that any key, whatever bytes it holds, travels as one query value.
std::string UrlEncode(absl::string_view text);

// Decodes %XX escapes, and '+' as a space where `plus_is_space` (query strings).
// INVALID_ARGUMENT for a '%' not followed by two hex digits.
absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool plus_is_space);

}  // namespace objgate

#endif  // OBJGATE_COMMON_URL_ENCODING_H_
