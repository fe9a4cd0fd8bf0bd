#include "server/upstream/status_mapping.h"

#include <curl/curl.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/retry/retryable.h"

namespace objgate {
namespace {

using Code = absl::StatusCode;

constexpr int kMinInt = std::numeric_limits<int>::min();
constexpr int kMaxInt = std::numeric_limits<int>::max();

constexpr HttpStatusRow kHttpRows[] = {
    {200, 299, "", Code::kOk, false, "success"},
    {400, 400, "", Code::kInvalidArgument, false, "request rejected as invalid"},
    {401, 401, "", Code::kPermissionDenied, false, "tenant not authenticated"},
    {403, 403, "quota", Code::kResourceExhausted, false, "tenant quota exceeded"},
    {403, 403, "", Code::kPermissionDenied, false, "tenant refused"},
    {404, 404, "", Code::kNotFound, false, "not found"},
    {405, 405, "", Code::kUnimplemented, false, "operation not supported by the upstream"},
    {408, 408, "", Code::kUnavailable, true, "upstream timed out waiting for the request"},
    {409, 409, "", Code::kAborted, false, "conflicting change"},
    {410, 410, "", Code::kNotFound, false, "gone"},
    {412, 412, "", Code::kFailedPrecondition, false, "precondition failed"},
    {413, 413, "", Code::kResourceExhausted, false, "object too large"},
    {414, 414, "", Code::kInvalidArgument, false, "request URL too long"},
    {416, 416, "", Code::kOutOfRange, false, "range not satisfiable"},
    {429, 429, "", Code::kUnavailable, true, "rate limited"},
    {400, 499, "", Code::kFailedPrecondition, false, "request refused"},
    {501, 501, "", Code::kUnimplemented, false, "operation not implemented by the upstream"},
    {500, 599, "", Code::kUnavailable, true, "upstream failure"},
    {100, 199, "", Code::kInternal, false, "informational status instead of an answer"},
    {300, 399, "", Code::kInternal, false, "redirect, which the gateway does not follow"},
    {kMinInt, kMaxInt, "", Code::kInternal, false, "not an HTTP status"},
};

constexpr absl::string_view kCertificateRefused = "the upstream's TLS certificate was refused";

constexpr CurlErrorRow kCurlRows[] = {
    {CURLE_OK, Code::kOk, false, "success"},
    {CURLE_COULDNT_RESOLVE_PROXY, Code::kUnavailable, true, "could not resolve the proxy"},
    {CURLE_COULDNT_RESOLVE_HOST, Code::kUnavailable, true, "could not resolve the upstream"},
    {CURLE_COULDNT_CONNECT, Code::kUnavailable, true, "could not connect to the upstream"},
    {CURLE_SEND_ERROR, Code::kUnavailable, true, "sending to the upstream failed"},
    {CURLE_RECV_ERROR, Code::kUnavailable, true, "receiving from the upstream failed"},
    {CURLE_GOT_NOTHING, Code::kUnavailable, true, "the upstream closed without answering"},
    {CURLE_PARTIAL_FILE, Code::kUnavailable, true, "the upstream's answer ended early"},
    // libcurl re-sends a request whose reused connection died before the answer, but
    // cannot rewind a streamed body to do so; the retry layer replays it if it can.
    {CURLE_SEND_FAIL_REWIND, Code::kUnavailable, true,
     "the connection broke while the body was being sent"},
    {CURLE_HTTP2, Code::kUnavailable, true, "HTTP/2 connection failed"},
    {CURLE_HTTP2_STREAM, Code::kUnavailable, true, "HTTP/2 stream reset"},
    {CURLE_SSL_CONNECT_ERROR, Code::kUnavailable, true, "TLS handshake failed"},
    {CURLE_PEER_FAILED_VERIFICATION, Code::kUnavailable, false, kCertificateRefused},
    {CURLE_SSL_ISSUER_ERROR, Code::kUnavailable, false, kCertificateRefused},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, Code::kUnavailable, false, kCertificateRefused},
    {CURLE_SSL_CACERT_BADFILE, Code::kUnavailable, false,
     "the CA file could not be read, so the upstream's TLS certificate was refused"},
    {CURLE_OPERATION_TIMEDOUT, Code::kDeadlineExceeded, false, "timed out"},
    {CURLE_ABORTED_BY_CALLBACK, Code::kCancelled, false, "cancelled"},
    {CURLE_URL_MALFORMAT, Code::kFailedPrecondition, false, "the upstream URL is malformed"},
    {CURLE_UNSUPPORTED_PROTOCOL, Code::kFailedPrecondition, false,
     "the upstream URL's scheme is not supported"},
    {kOtherCurlCodes, Code::kUnknown, false, "transfer failed"},
};

// How much of a body is parsed as JSON, and how much of the upstream's text a message
// keeps: enough for any real error answer, never a whole object echoed into a log line.
constexpr size_t kMaxJsonBodyBytes = 64 * 1024;
constexpr size_t kMaxErrorTextBytes = 256;

bool ContainsIgnoringCase(absl::string_view text, absl::string_view needle) {
  return std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
           return absl::ascii_tolower(static_cast<unsigned char>(a)) ==
                  absl::ascii_tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

// `text` as one line of a message: trimmed, cut to kMaxErrorTextBytes at a character
// boundary (so it stays valid UTF-8), with control bytes made spaces so that an upstream
// cannot forge log lines.
std::string OneLine(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  const bool cut = text.size() > kMaxErrorTextBytes;
  if (cut) {
    size_t end = kMaxErrorTextBytes;
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

}  // namespace

std::string UpstreamErrorText(absl::string_view body) {
  const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(body);
  if (absl::StartsWith(trimmed, "{") && trimmed.size() <= kMaxJsonBodyBytes) {
    const nlohmann::json json = nlohmann::json::parse(trimmed.begin(), trimmed.end(),
                                                      /*cb=*/nullptr,
                                                      /*allow_exceptions=*/false);
    if (json.is_object()) {
      auto error = json.find("error");
      if (error != json.end() && error->is_string()) {
        return OneLine(error->get_ref<const std::string&>());
      }
    }
  }
  return OneLine(body);
}

namespace {

absl::Status MakeStatus(absl::StatusCode code, bool retryable, std::string message,
                        std::optional<absl::Duration> retry_after) {
  absl::Status status(code, message);
  return retryable ? MarkRetryable(std::move(status), retry_after) : status;
}

}  // namespace

absl::Span<const HttpStatusRow> HttpStatusTable() { return kHttpRows; }

absl::Span<const CurlErrorRow> CurlErrorTable() { return kCurlRows; }

absl::Status StatusFromHttp(int http_status, absl::string_view body, absl::string_view what,
                            std::optional<absl::Duration> retry_after) {
  const HttpStatusRow* row =
      std::find_if(std::begin(kHttpRows), std::end(kHttpRows), [&](const HttpStatusRow& candidate) {
        return candidate.first <= http_status && http_status <= candidate.last &&
               (candidate.body_contains.empty() ||
                ContainsIgnoringCase(body, candidate.body_contains));
      });
  if (row->code == Code::kOk) return absl::OkStatus();
  std::string message =
      absl::StrCat(what, ": upstream answered HTTP ", http_status, " (", row->meaning, ")");
  const std::string text = UpstreamErrorText(body);
  if (!text.empty()) absl::StrAppend(&message, ": ", text);
  return MakeStatus(row->code, row->retryable, std::move(message), retry_after);
}

absl::Status StatusFromCurl(int curl_code, absl::string_view error_detail, absl::string_view what) {
  const CurlErrorRow* row =
      std::find_if(std::begin(kCurlRows), std::end(kCurlRows) - 1,
                   [&](const CurlErrorRow& candidate) { return candidate.curl_code == curl_code; });
  if (row->code == Code::kOk) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", row->meaning);
  const std::string detail = OneLine(error_detail);
  if (!detail.empty()) absl::StrAppend(&message, ": ", detail);
  absl::StrAppend(&message, " (curl error ", curl_code, ")");
  return MakeStatus(row->code, row->retryable, std::move(message), std::nullopt);
}

}  // namespace objgate
