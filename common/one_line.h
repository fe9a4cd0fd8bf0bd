#ifndef OBJGATE_COMMON_ONE_LINE_H_
#define OBJGATE_COMMON_ONE_LINE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace objgate {

// Untrusted text (an upstream's error answer, libcurl's error buffer) made fit for one
// line of a message or a log: trimmed, cut to `max_bytes` at a character boundary (so it
// stays valid UTF-8) and marked "..." when cut, with control bytes made spaces so that
// nobody can forge log lines through it.
std::string OneLine(absl::string_view text, size_t max_bytes = 256);

}  // namespace objgate

#endif  // OBJGATE_COMMON_ONE_LINE_H_
