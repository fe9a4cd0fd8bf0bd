// Fuzzes the HTTP server's reading of a request head (common/httpd/http_wire.h, shared by
// the reference store and the gateway's /metrics endpoint): ParseRequestHead, and
// PercentDecode, which must undo the gateway's UrlEncode for any key. Input: the head as it arrives, without the blank line that ends it.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/httpd/http_message.h"
#include "common/httpd/http_wire.h"
#include "common/url_encoding.h"
#include "tests/fuzz/fuzz_check.h"

namespace objgate::httpd {
namespace {

bool HasByteOf(absl::string_view text, absl::string_view bytes) {
  return text.find_first_of(bytes) != absl::string_view::npos;
}

void CheckRequestHead(absl::string_view head) {
  absl::StatusOr<RequestHead> request = ParseRequestHead(head);
  if (!request.ok()) return;
  FUZZ_CHECK(!request->method.empty());
  FUZZ_CHECK(!HasByteOf(request->method, absl::string_view(" \r\n\0", 4)));
  FUZZ_CHECK(request->minor_version == 0 || request->minor_version == 1);
  for (const auto& [name, value] : request->headers.entries()) {
    // A name or value spanning lines would be request smuggling.
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(!HasByteOf(name, absl::string_view(":\r\n\0 \t", 6)));
    FUZZ_CHECK(!HasByteOf(value, absl::string_view("\r\n\0", 3)));
  }
  WantsKeepAlive(*request);
  ExpectsContinue(*request);
}

void CheckPercentDecode(absl::string_view text) {
  for (bool plus_is_space : {false, true}) {
    absl::StatusOr<std::string> decoded = PercentDecode(text, plus_is_space);
    if (decoded.ok()) FUZZ_CHECK(decoded->size() <= text.size());
    // What the gateway encodes into a query, the store decodes back to the same bytes.
    absl::StatusOr<std::string> round_trip = PercentDecode(UrlEncode(text), plus_is_space);
    FUZZ_CHECK(round_trip.ok());
    FUZZ_CHECK(*round_trip == text);
  }
}

}  // namespace
}  // namespace objgate::httpd

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  objgate::httpd::CheckRequestHead(input);
  objgate::httpd::CheckPercentDecode(input);
  return 0;
}
