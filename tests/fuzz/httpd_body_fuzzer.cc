// Fuzzes the HTTP server's request body framing (common/httpd/http_wire.h):
// MakeBodyDecoder, the Content-Length and chunked decoders, and the InputBuffer under
// them, with the bytes arriving from the connection in uneven pieces. Input, as text:
//
//   Name: value     request header lines (Content-Length, Transfer-Encoding, ...)
//                   an empty line
//   wire bytes      what follows the head on the connection

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/httpd/http_message.h"
#include "common/httpd/http_wire.h"
#include "tests/fuzz/fuzz_check.h"

namespace objgate::httpd {
namespace {

void CheckBody(absl::string_view message) {
  RequestHead request;
  absl::string_view wire = message;
  while (!wire.empty()) {
    const std::pair<absl::string_view, absl::string_view> line_rest =
        absl::StrSplit(wire, absl::MaxSplits('\n', 1));
    wire = line_rest.second;
    if (line_rest.first.empty()) break;
    const std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(line_rest.first, absl::MaxSplits(": ", 1));
    request.headers.Add(std::string(name_value.first), std::string(name_value.second));
  }

  // The connection hands out the wire bytes in uneven pieces, then reports its end.
  size_t delivered = 0;
  size_t raw_reads = 0;
  InputBuffer input([&](char* buffer, size_t capacity) -> absl::StatusOr<size_t> {
    constexpr size_t kPieceSizes[] = {1, 5, 2, 4096, 3};
    const size_t n = std::min({capacity, wire.size() - delivered, kPieceSizes[raw_reads++ % 5]});
    std::copy_n(wire.data() + delivered, n, buffer);
    delivered += n;
    return n;
  });

  absl::StatusOr<std::unique_ptr<BodyDecoder>> decoder = MakeBodyDecoder(request, input);
  if (!decoder.ok()) return;
  // Read capacities vary too, down to one byte.
  constexpr size_t kCapacities[] = {7, 1, 16384, 2};
  char buffer[16384];
  uint64_t decoded = 0;
  for (size_t reads = 0;; ++reads) {
    absl::StatusOr<size_t> got = (*decoder)->Read(absl::MakeSpan(buffer, kCapacities[reads % 4]));
    if (!got.ok() || *got == 0) break;
    FUZZ_CHECK(*got <= kCapacities[reads % 4]);
    decoded += *got;
    // A decoder never yields more bytes than the connection gave it.
    FUZZ_CHECK(decoded <= delivered);
  }
  if ((*decoder)->finished()) {
    if (std::optional<uint64_t> declared = (*decoder)->declared_size()) {
      FUZZ_CHECK(decoded == *declared);
    }
    // A finished body stays finished: no bytes of the next request leak into it.
    absl::StatusOr<size_t> after = (*decoder)->Read(absl::MakeSpan(buffer));
    FUZZ_CHECK(after.ok() && *after == 0);
  }
}

}  // namespace
}  // namespace objgate::httpd

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  objgate::httpd::CheckBody(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
