// Fuzzes the gateway's parsers of numeric headers (server/upstream/http_answers.h):
// Content-Range of a 206 answer, and Content-Length. Input: the header value.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/upstream/http_answers.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using objgate::ContentRange;
  const absl::string_view value(reinterpret_cast<const char*>(data), size);

  if (std::optional<ContentRange> range = objgate::ParseContentRange(value)) {
    // The download sink computes the length as last - first + 1 and the end of the object
    // as total: both are only sound under this ordering.
    FUZZ_CHECK(0 <= range->first);
    FUZZ_CHECK(range->first <= range->last);
    FUZZ_CHECK(range->last < range->total);
    // The canonical form of what was read must read back the same.
    std::optional<ContentRange> again = objgate::ParseContentRange(
        absl::StrCat("bytes ", range->first, "-", range->last, "/", range->total));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->first == range->first && again->last == range->last &&
               again->total == range->total);
  }

  if (std::optional<int64_t> number = objgate::ParseNonNegativeInt(value)) {
    FUZZ_CHECK(*number >= 0);
    FUZZ_CHECK(objgate::ParseNonNegativeInt(absl::StrCat(*number)) == number);
  }
  return 0;
}
