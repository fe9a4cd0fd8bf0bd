// Fuzzes the status table's reading of an upstream answer (server/upstream/status_mapping.h):
// StatusFromHttp and UpstreamErrorText. Input: the HTTP status in decimal on the first
// line, optionally followed by a space and the Content-Type, then the answer's body.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/retry/retryable.h"
#include "server/upstream/status_mapping.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// The upstream's words end up in log lines and messages: they must stay one short line.
constexpr size_t kMaxErrorTextBytes = 256 + 3;  // "..." marks a cut.

bool HasControlBytes(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::pair<absl::string_view, absl::string_view> status_body =
      absl::StrSplit(absl::string_view(reinterpret_cast<const char*>(data), size),
                     absl::MaxSplits('\n', 1));
  const absl::string_view body = status_body.second;
  // The first line: the status, then optionally a space and the Content-Type.
  const std::pair<absl::string_view, absl::string_view> status_type =
      absl::StrSplit(status_body.first, absl::MaxSplits(' ', 1));
  const absl::string_view content_type = status_type.second;

  const std::string text = objgate::UpstreamErrorText({0, content_type, body});
  FUZZ_CHECK(text.size() <= kMaxErrorTextBytes);
  FUZZ_CHECK(!HasControlBytes(text));

  int http_status = 0;
  if (!absl::SimpleAtoi(status_type.first, &http_status)) return 0;
  constexpr absl::string_view kWhat = "download of \"k\"";
  const absl::Status status = objgate::StatusFromHttp({http_status, content_type, body}, kWhat);
  FUZZ_CHECK(status.ok() == (http_status >= 200 && http_status < 300));
  if (status.ok()) return 0;
  FUZZ_CHECK(absl::StartsWith(status.message(), kWhat));
  FUZZ_CHECK(!HasControlBytes(status.message()));
  // Only transient answers may be retried, and they all reach the caller as UNAVAILABLE.
  if (objgate::IsRetryable(status)) FUZZ_CHECK(status.code() == absl::StatusCode::kUnavailable);
  return 0;
}
