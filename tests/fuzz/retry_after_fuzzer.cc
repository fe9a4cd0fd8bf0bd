// Fuzzes ParseRetryAfter (common/retry/retry_after.h). Input: the header value, parsed
// against several clocks, including the infinite ones a misbehaving clock could give.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/retry/retry_after.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view value(reinterpret_cast<const char*>(data), size);
  // 2026-11-26T07:03:01Z: a realistic now, with RFC 850 dates on both sides of the
  // century rule.
  const absl::Time realistic_now = absl::FromUnixSeconds(1795676581);
  const std::optional<absl::Duration> realistic =
      objgate::ParseRetryAfter(value, realistic_now);

  for (absl::Time now : {realistic_now, absl::UnixEpoch(), absl::InfinitePast(),
                         absl::InfiniteFuture()}) {
    const std::optional<absl::Duration> wait = objgate::ParseRetryAfter(value, now);
    if (!wait.has_value()) continue;
    // The retry loop sleeps this long: never negative, never more than the cap.
    FUZZ_CHECK(*wait >= absl::ZeroDuration());
    FUZZ_CHECK(*wait <= objgate::kMaxRetryAfter);
    // A delay in seconds does not depend on the clock.
    const absl::string_view trimmed = absl::StripAsciiWhitespace(value);
    if (absl::ascii_isdigit(static_cast<unsigned char>(trimmed[0]))) {
      FUZZ_CHECK(wait == realistic);
    }
  }
  return 0;
}
