#include "common/one_line.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace objgate {

std::string OneLine(absl::string_view text, size_t max_bytes) {
  text = absl::StripAsciiWhitespace(text);
  const bool cut = text.size() > max_bytes;
  if (cut) {
    size_t end = max_bytes;
    // A UTF-8 continuation byte at the cut means it splits a character: keep none of it.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
  }
  std::string line(text);
  std::replace_if(
      line.begin(), line.end(),
      [](char c) { return absl::ascii_iscntrl(static_cast<unsigned char>(c)); }, ' ');
  absl::StripTrailingAsciiWhitespace(&line);
  if (cut) line += "...";
  return line;
}

}  // namespace objgate
