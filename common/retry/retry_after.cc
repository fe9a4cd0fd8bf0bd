#include "common/retry/retry_after.h"

#include "common/http_date.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace objgate {
namespace {

// The longest valid value is an RFC 850 date with "Wednesday": 33 characters.
constexpr size_t kMaxValueChars = 64;

// 1*DIGIT, saturating just above kMaxRetryAfter so that any length of digits is safe.
std::optional<absl::Duration> ParseDeltaSeconds(absl::string_view digits) {
  if (digits.empty()) return std::nullopt;
  const int64_t kSaturation = absl::ToInt64Seconds(kMaxRetryAfter) + 1;
  int64_t seconds = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    seconds = std::min(seconds * 10 + (c - '0'), kSaturation);
  }
  return absl::Seconds(seconds);
}

}  // namespace

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty() || value.size() > kMaxValueChars) return std::nullopt;

  std::optional<absl::Duration> wait;
  if (absl::ascii_isdigit(static_cast<unsigned char>(value[0]))) {
    wait = ParseDeltaSeconds(value);
  } else if (value[0] == '-') {
    if (ParseDeltaSeconds(value.substr(1)).has_value()) wait = absl::ZeroDuration();
  } else {
    if (std::optional<absl::Time> date = ParseHttpDate(value, now)) wait = *date - now;
  }
  if (!wait.has_value()) return std::nullopt;
  return std::clamp(*wait, absl::ZeroDuration(), kMaxRetryAfter);
}

}  // namespace objgate
