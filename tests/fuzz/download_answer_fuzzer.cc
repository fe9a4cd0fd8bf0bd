// Fuzzes RestUpstream::Download's reading of the upstream's answer (server/upstream/
// rest_upstream.cc): the status, Content-Range, Content-Length, ETag, X-Checksum-SHA256
// and Retry-After headers, and the body, through the public path with the shared
// FakeHttpClient.
// Input, as text:
//
//   OFFSET LENGTH        the validated request; LENGTH "-" for to the end
//   STATUS
//   Name: value          any number of header lines
//                        an empty line
//   body bytes

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "server/http/testing/fake_http_client.h"
#include "server/upstream/rest_upstream.h"
#include "server/upstream/upstream.h"
#include "tests/fuzz/fuzz_check.h"

namespace objgate {
namespace {

class RecordingSink : public DownloadSink {
 public:
  absl::Status OnHead(const DownloadHead& head) override {
    FUZZ_CHECK(!head_.has_value());
    head_ = head;
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view bytes) override {
    FUZZ_CHECK(head_.has_value());
    FUZZ_CHECK(!bytes.empty());
    bytes_ += bytes.size();
    return absl::OkStatus();
  }

  const std::optional<DownloadHead>& head() const { return head_; }
  int64_t bytes() const { return bytes_; }

 private:
  std::optional<DownloadHead> head_;
  int64_t bytes_ = 0;
};

// What ValidateDownloadRequest lets through: offset >= 0, length > 0, no overflow.
std::optional<DownloadSpec> ParseSpec(absl::string_view line) {
  const std::pair<absl::string_view, absl::string_view> fields =
      absl::StrSplit(line, absl::MaxSplits(' ', 1));
  DownloadSpec spec;
  spec.key = "k";
  if (!absl::SimpleAtoi(fields.first, &spec.offset) || spec.offset < 0) return std::nullopt;
  if (fields.second != "-") {
    int64_t length = 0;
    if (!absl::SimpleAtoi(fields.second, &length) || length <= 0 ||
        length > std::numeric_limits<int64_t>::max() - spec.offset) {
      return std::nullopt;
    }
    spec.length = length;
  }
  return spec;
}

// The entity tag an ETag header names when it has RFC 9110's form, `"tag"` or `W/"tag"`
// with no quote inside; nullopt for any other value.
std::optional<absl::string_view> WellFormedEtag(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  absl::ConsumePrefix(&value, "W/");
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::nullopt;
  value = value.substr(1, value.size() - 2);
  if (value.find('"') != absl::string_view::npos) return std::nullopt;
  return value;
}

void CheckDownload(absl::string_view input) {
  std::vector<absl::string_view> lines = absl::StrSplit(input, absl::MaxSplits('\n', 2));
  if (lines.size() < 3) return;
  const std::optional<DownloadSpec> spec = ParseSpec(lines[0]);
  FakeHttpAnswer answer;
  if (!spec || !absl::SimpleAtoi(lines[1], &answer.status)) return;
  // Uneven pieces, so that skipping and counting cross piece boundaries.
  answer.piece_bytes = {3, 1, 64};
  // Header lines, trimmed as CurlHttpClient trims them, up to the empty line.
  absl::string_view rest = lines[2];
  while (!rest.empty()) {
    const std::pair<absl::string_view, absl::string_view> line_rest =
        absl::StrSplit(rest, absl::MaxSplits('\n', 1));
    rest = line_rest.second;
    if (line_rest.first.empty()) break;
    const std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(line_rest.first, absl::MaxSplits(':', 1));
    answer.headers.Add(std::string(absl::StripAsciiWhitespace(name_value.first)),
                       std::string(absl::StripAsciiWhitespace(name_value.second)));
  }
  const HttpHeaders headers = answer.headers;
  answer.body = std::string(rest);
  FakeHttpClient http;
  http.Enqueue(std::move(answer));
  absl::StatusOr<std::unique_ptr<RestUpstream>> upstream =
      RestUpstream::Create(http, "http://upstream.test");
  FUZZ_CHECK(upstream.ok());
  RecordingSink sink;
  const absl::Status status = (*upstream)->Download(CallContext(), *spec, sink);

  if (!sink.head().has_value()) {
    FUZZ_CHECK(!status.ok());
    return;
  }
  // What the gateway tells its caller about the bytes that follow must be consistent
  // with what was asked for and with the object, whatever the upstream claimed.
  const DownloadHead& download = *sink.head();
  FUZZ_CHECK(download.offset == spec->offset);
  FUZZ_CHECK(download.length >= 0);
  FUZZ_CHECK(download.offset <= download.object_size);
  FUZZ_CHECK(download.length <= download.object_size - download.offset);
  if (spec->length) FUZZ_CHECK(download.length <= *spec->length);
  FUZZ_CHECK(sink.bytes() <= download.length);
  // A download that succeeds delivers every byte it announced, never a short object.
  if (status.ok()) FUZZ_CHECK(sink.bytes() == download.length);

  if (std::optional<absl::string_view> etag = headers.Get("ETag")) {
    if (std::optional<absl::string_view> tag = WellFormedEtag(*etag)) {
      FUZZ_CHECK(download.etag == *tag);
    }
  } else {
    FUZZ_CHECK(download.etag.empty());
  }
  for (char c : download.object_sha256) {
    FUZZ_CHECK(!absl::ascii_isupper(static_cast<unsigned char>(c)));
  }
}

}  // namespace
}  // namespace objgate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  objgate::CheckDownload(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
