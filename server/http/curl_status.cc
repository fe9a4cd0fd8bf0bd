#include "server/http/curl_status.h"

#include <curl/curl.h>

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/one_line.h"
#include "common/retry/retryable.h"

namespace objgate {
namespace {

using Code = absl::StatusCode;

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

}  // namespace

absl::Span<const CurlErrorRow> CurlErrorTable() { return kCurlRows; }

absl::Status StatusFromCurl(int curl_code, absl::string_view error_detail, absl::string_view what) {
  const CurlErrorRow* row =
      std::find_if(std::begin(kCurlRows), std::end(kCurlRows) - 1,
                   [&](const CurlErrorRow& candidate) { return candidate.curl_code == curl_code; });
  if (row->code == Code::kOk) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", row->meaning);
  const std::string detail = OneLine(error_detail);
  if (!detail.empty()) absl::StrAppend(&message, ": ", detail);
  absl::StrAppend(&message, " (curl error ", curl_code, ")");
  absl::Status status(row->code, message);
  return row->retryable ? MarkRetryable(std::move(status)) : status;
}

}  // namespace objgate
