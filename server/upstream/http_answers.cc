#include "server/upstream/http_answers.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/http_date.h"
#include "common/retry/retry_after.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"

namespace objgate {
namespace {

// Of an error answer, only so much is kept for the message.
constexpr size_t kMaxErrorBodyBytes = 64 << 10;

constexpr absl::string_view kEnough = "range complete";

}  // namespace

std::string BareEtag(absl::string_view etag) {
  etag = absl::StripAsciiWhitespace(etag);
  absl::ConsumePrefix(&etag, "W/");
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

HttpAnswer AnswerOf(int http_status, const HttpHeaders& headers, absl::string_view body,
                    absl::string_view error_code, absl::string_view error_message) {
  return {http_status, headers.Get("Content-Type").value_or(""), body, error_code, error_message};
}

absl::Status StatusFromAnswer(const HttpAnswer& answer, const HttpHeaders& headers,
                              absl::string_view what, absl::Time now) {
  std::optional<absl::Duration> retry_after;
  if (std::optional<absl::string_view> value = headers.Get("Retry-After")) {
    retry_after = ParseRetryAfter(*value, now);
  }
  return StatusFromHttp(answer, what, retry_after);
}

void AddDownloadHeaders(const DownloadSpec& spec, HttpHeaders& headers) {
  if (spec.offset > 0 || spec.length) {
    headers.Add("Range", spec.length ? absl::StrCat("bytes=", spec.offset, "-",
                                                    spec.offset + *spec.length - 1)
                                     : absl::StrCat("bytes=", spec.offset, "-"));
  }
  if (!spec.if_match.empty()) headers.Add("If-Match", absl::StrCat("\"", spec.if_match, "\""));
}

std::optional<int64_t> ParseNonNegativeInt(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(text[0]))) {
    return std::nullopt;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 0) return std::nullopt;
  return value;
}

std::optional<ContentRange> ParseContentRange(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (!absl::ConsumePrefix(&value, "bytes ")) return std::nullopt;
  const size_t dash = value.find('-');
  const size_t slash = value.find('/');
  if (dash == absl::string_view::npos || slash == absl::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  std::optional<int64_t> first = ParseNonNegativeInt(value.substr(0, dash));
  std::optional<int64_t> last = ParseNonNegativeInt(value.substr(dash + 1, slash - dash - 1));
  std::optional<int64_t> total = ParseNonNegativeInt(value.substr(slash + 1));
  if (!first || !last || !total || *first > *last || *last >= *total) return std::nullopt;
  return ContentRange{*first, *last, *total};
}

bool DownloadAnswerSink::IsReserved(absl::string_view header) const {
  return std::any_of(
      names_.reserved.begin(), names_.reserved.end(),
      [&](const std::string& reserved) { return absl::EqualsIgnoreCase(header, reserved); });
}

absl::Status DownloadAnswerSink::OnHead(const HttpResponseHead& head) {
  http_status_ = head.status;
  headers_ = head.headers;
  if (!IsSuccess(head.status)) return absl::OkStatus();

  DownloadHead download;
  if (head.status == 206) {
    std::optional<ContentRange> range;
    if (auto value = head.headers.Get("Content-Range")) range = ParseContentRange(*value);
    if (!range || range->first != spec_.offset) {
      return absl::InternalError("upstream answered 206 without a matching Content-Range");
    }
    download.object_size = range->total;
    download.offset = range->first;
    download.length = range->last - range->first + 1;
  } else {
    std::optional<int64_t> size;
    if (auto value = head.headers.Get("Content-Length")) size = ParseNonNegativeInt(*value);
    if (!size) return absl::InternalError("upstream download answer has no Content-Length");
    download.object_size = *size;
    if (spec_.offset > 0 && spec_.offset >= *size) {
      return absl::OutOfRangeError(
          absl::StrCat("offset ", spec_.offset, " is past the end of the ", *size, "-byte object"));
    }
    download.offset = spec_.offset;
    download.length = *size - spec_.offset;
    to_skip_ = spec_.offset;
  }
  if (spec_.length) download.length = std::min(download.length, *spec_.length);
  remaining_ = download.length;
  if (auto etag = head.headers.Get("ETag")) download.etag = BareEtag(*etag);
  if (auto type = head.headers.Get("Content-Type")) download.content_type = std::string(*type);
  if (auto modified = head.headers.Get("Last-Modified")) {
    download.last_modified = ParseHttpDate(*modified, absl::Now());
  }
  for (const auto& [name, value] : head.headers.entries()) {
    if (names_.metadata_prefix.empty() || name.size() <= names_.metadata_prefix.size() ||
        !absl::StartsWithIgnoreCase(name, names_.metadata_prefix) ||
        absl::EqualsIgnoreCase(name, names_.checksum) ||
        (!names_.crc32c.empty() && absl::EqualsIgnoreCase(name, names_.crc32c)) ||
        IsReserved(name)) {
      continue;
    }
    download.metadata[absl::AsciiStrToLower(name.substr(names_.metadata_prefix.size()))] =
        std::string(absl::StripAsciiWhitespace(value));
  }
  if (auto sha = head.headers.Get(names_.checksum)) {
    // A value that is not a SHA-256 at all (another S3 client's metadata, say) declares
    // nothing; taking it for one would fail every download of intact bytes.
    const absl::string_view value = absl::StripAsciiWhitespace(*sha);
    if (IsSha256Hex(value)) download.object_sha256 = absl::AsciiStrToLower(value);
  }
  if (!names_.crc32c.empty()) {
    if (auto crc = head.headers.Get(names_.crc32c)) {
      // As above: only a well-formed value declares anything.
      const absl::string_view value = absl::StripAsciiWhitespace(*crc);
      uint32_t parsed = 0;
      if (value.size() == 8 && absl::SimpleHexAtoi(value, &parsed)) {
        download.object_crc32c = parsed;
      }
    }
  }
  return sink_.OnHead(download);
}

absl::Status DownloadAnswerSink::OnBody(absl::string_view bytes) {
  if (!IsSuccess(http_status_)) {
    const size_t room = kMaxErrorBodyBytes - std::min(kMaxErrorBodyBytes, error_body_.size());
    error_body_.append(bytes.data(), std::min(room, bytes.size()));
    return absl::OkStatus();
  }
  const size_t skipped = static_cast<size_t>(std::min<int64_t>(to_skip_, bytes.size()));
  to_skip_ -= static_cast<int64_t>(skipped);
  bytes.remove_prefix(skipped);
  const size_t wanted = static_cast<size_t>(std::min<int64_t>(remaining_, bytes.size()));
  if (wanted > 0) {
    remaining_ -= static_cast<int64_t>(wanted);
    absl::Status status = sink_.OnData(bytes.substr(0, wanted));
    if (!status.ok()) return status;
  }
  if (remaining_ == 0 && to_skip_ == 0 && bytes.size() > wanted) {
    // The upstream ignored the Range and the rest of its body is not wanted.
    return absl::CancelledError(kEnough);
  }
  return absl::OkStatus();
}

absl::Status DownloadAnswerSink::Outcome(absl::Status perform_status,
                                         absl::string_view what) const {
  if (absl::IsCancelled(perform_status) && perform_status.message() == kEnough) {
    return absl::OkStatus();
  }
  if (!perform_status.ok()) return perform_status;
  if (!IsSuccess(http_status_)) return map_error_(http_status_, headers_, error_body_, what);
  if (remaining_ > 0) {
    // libcurl reports a body shorter than its Content-Length itself; this is the chunked
    // case. Retryable: the resumer continues from the next byte.
    return MarkRetryable(absl::UnavailableError(
        absl::StrCat("upstream ended ", what, " with ", remaining_, " bytes missing")));
  }
  return absl::OkStatus();
}

}  // namespace objgate
