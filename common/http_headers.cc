#include "common/http_headers.h"

#include "absl/strings/match.h"

namespace objgate {

std::optional<absl::string_view> HttpHeaders::Get(absl::string_view name) const {
  for (const auto& [entry_name, value] : entries_) {
    if (absl::EqualsIgnoreCase(entry_name, name)) return value;
  }
  return std::nullopt;
}

std::vector<absl::string_view> HttpHeaders::GetAll(absl::string_view name) const {
  std::vector<absl::string_view> values;
  for (const auto& [entry_name, value] : entries_) {
    if (absl::EqualsIgnoreCase(entry_name, name)) values.push_back(value);
  }
  return values;
}

}  // namespace objgate
