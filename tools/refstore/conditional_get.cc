#include "tools/refstore/conditional_get.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace objgate::refstore {
namespace {

std::optional<uint64_t> ParseDecimal(absl::string_view text) {
  uint64_t value = 0;
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
      !absl::SimpleAtoi(text, &value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

RangeDecision DecideRange(std::optional<absl::string_view> range_header, uint64_t size) {
  using Kind = RangeDecision::Kind;
  if (!range_header.has_value()) return {};
  absl::string_view spec = absl::StripAsciiWhitespace(*range_header);
  if (!absl::StartsWithIgnoreCase(spec, "bytes=")) return {};
  spec = absl::StripAsciiWhitespace(spec.substr(6));
  const size_t dash = spec.find('-');
  if (dash == absl::string_view::npos || absl::StrContains(spec, ',')) return {};
  const absl::string_view first_text = spec.substr(0, dash);
  const absl::string_view last_text = spec.substr(dash + 1);

  if (first_text.empty()) {
    const std::optional<uint64_t> suffix = ParseDecimal(last_text);
    if (!suffix.has_value()) return {};
    if (*suffix == 0 || size == 0) return {Kind::kUnsatisfiable};
    return {Kind::kPartial, size - std::min(*suffix, size), size - 1};
  }
  const std::optional<uint64_t> first = ParseDecimal(first_text);
  if (!first.has_value()) return {};
  std::optional<uint64_t> last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    last = ParseDecimal(last_text);
    if (!last.has_value() || *last < *first) return {};
  }
  if (*first >= size) return {Kind::kUnsatisfiable};
  return {Kind::kPartial, *first, std::min(*last, size - 1)};
}

bool IfMatchAllows(absl::string_view if_match, absl::string_view etag) {
  for (absl::string_view tag : absl::StrSplit(if_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (tag == "*") return true;
    if (absl::StartsWith(tag, "W/")) continue;
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') {
      tag = tag.substr(1, tag.size() - 2);
    }
    if (tag == etag) return true;
  }
  return false;
}

}  // namespace objgate::refstore
