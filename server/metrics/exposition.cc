#include "server/metrics/exposition.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace objgate::metrics {
namespace {

// Backslash and newline always; the double quote only inside label values.
void AppendEscaped(absl::string_view text, bool escape_quote, std::string& out) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Integers up to 2^53 are exact in a double; counters are integers.
  constexpr double kExactIntegers = 9007199254740992.0;
  if (value == std::trunc(value) && std::fabs(value) < kExactIntegers) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  for (int precision = 15; precision < 17; ++precision) {
    std::string text = absl::StrFormat("%.*g", precision, value);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return absl::StrFormat("%.17g", value);
}

void ExpositionWriter::Family(absl::string_view name, absl::string_view help,
                              absl::string_view type) {
  absl::StrAppend(&text_, "# HELP ", name, " ");
  AppendEscaped(help, /*escape_quote=*/false, text_);
  absl::StrAppend(&text_, "\n# TYPE ", name, " ", type, "\n");
}

void ExpositionWriter::Sample(absl::string_view name, absl::Span<const Label> labels,
                              double value) {
  text_.append(name.data(), name.size());
  if (!labels.empty()) {
    text_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) text_ += ',';
      absl::StrAppend(&text_, labels[i].first, "=\"");
      AppendEscaped(labels[i].second, /*escape_quote=*/true, text_);
      text_ += '"';
    }
    text_ += '}';
  }
  absl::StrAppend(&text_, " ", FormatSampleValue(value), "\n");
}

}  // namespace objgate::metrics
