// Fuzzes the reference store's conditional GET (tools/refstore/conditional_get.h): Range
// and If-Match. Input, as text:
//
//   SIZE        the object's size in bytes
//   RANGE       the Range header value ("bytes=0-99")
//   IF-MATCH    the If-Match header value
//   ETAG        the object's entity tag, unquoted

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/upstream/http_answers.h"
#include "tests/fuzz/fuzz_check.h"
#include "tools/refstore/conditional_get.h"

namespace objgate::refstore {
namespace {

void CheckRange(uint64_t size, absl::string_view range_header) {
  FUZZ_CHECK(DecideRange(std::nullopt, size).kind == RangeDecision::Kind::kWhole);
  const RangeDecision decision = DecideRange(range_header, size);
  if (decision.kind != RangeDecision::Kind::kPartial) return;
  FUZZ_CHECK(decision.first <= decision.last);
  FUZZ_CHECK(decision.last < size);
  // The store answers "Content-Range: bytes FIRST-LAST/SIZE"; the gateway must read back
  // the same range from it.
  if (size <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    std::optional<ContentRange> range = ParseContentRange(
        absl::StrCat("bytes ", decision.first, "-", decision.last, "/", size));
    FUZZ_CHECK(range.has_value());
    FUZZ_CHECK(static_cast<uint64_t>(range->first) == decision.first);
    FUZZ_CHECK(static_cast<uint64_t>(range->last) == decision.last);
    FUZZ_CHECK(static_cast<uint64_t>(range->total) == size);
  }
}

void CheckIfMatch(absl::string_view if_match, absl::string_view etag) {
  FUZZ_CHECK(IfMatchAllows("*", etag));
  IfMatchAllows(if_match, etag);
  // The gateway sends If-Match as the quoted etag it got (server/upstream/rest_upstream.cc);
  // the store must accept it for an etag that is a valid entity tag without commas (the
  // store splits lists on them).
  bool plain = !etag.empty() && !absl::StartsWith(etag, "W/") &&
               absl::StripAsciiWhitespace(etag) == etag;
  for (char c : etag) {
    plain = plain && c != '"' && c != ',' && !absl::ascii_iscntrl(static_cast<unsigned char>(c));
  }
  if (plain) FUZZ_CHECK(IfMatchAllows(absl::StrCat("\"", etag, "\""), etag));
}

}  // namespace
}  // namespace objgate::refstore

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<absl::string_view> lines = absl::StrSplit(
      absl::string_view(reinterpret_cast<const char*>(data), size), absl::MaxSplits('\n', 3));
  if (lines.size() < 4) return 0;
  uint64_t object_size = 0;
  if (!absl::SimpleAtoi(lines[0], &object_size)) return 0;
  objgate::refstore::CheckRange(object_size, lines[1]);
  objgate::refstore::CheckIfMatch(lines[2], lines[3]);
  return 0;
}
