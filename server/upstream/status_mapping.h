#ifndef OBJGATE_SERVER_UPSTREAM_STATUS_MAPPING_H_
#define OBJGATE_SERVER_UPSTREAM_STATUS_MAPPING_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace objgate {

// The one table from what the upstream or libcurl said to the absl::Status the gateway
// works with: its code, and whether the retry loop may try again (the mark of
// server/retry/retryable.h). absl::StatusCode values equal gRPC's, so the code chosen here
// is the gRPC code the caller gets.
//
// Both tables are data, so that tests walk them row by row and documentation can be
// generated from them.

// A row of the HTTP table: statuses `first` to `last`, and, when `body_contains` is not
// empty, only answers whose body contains it (ignoring ASCII case). The first matching row
// wins; the rows cover every int.
struct HttpStatusRow {
  int first;
  int last;
  absl::string_view body_contains;
  absl::StatusCode code;
  bool retryable;
  // What the status means for the call, as the message says it: "object not found".
  absl::string_view meaning;
};

// The HTTP rows, in matching order. The choices a reader may wonder about:
//   - 401, and 403 without "quota" in the body: the tenant was refused, PERMISSION_DENIED
//     (the caller authenticates to the gateway, not to the upstream).
//   - 408, 429 and 5xx other than 501: UNAVAILABLE, retryable. The upstream is busy or
//     failing, and the same request may succeed later.
//   - 413 and 403 "quota": RESOURCE_EXHAUSTED, not retryable: sending again cannot help.
//   - Any other 4xx: FAILED_PRECONDITION. The upstream refused the request for a reason
//     the table does not name; it is not known to be the caller's input, nor transient.
//   - 1xx (never final), 3xx (the gateway follows no redirects) and numbers that are not
//     HTTP statuses: INTERNAL, as for any answer outside the upstream's contract.
absl::Span<const HttpStatusRow> HttpStatusTable();

// The status for an upstream answer: OK for 2xx, otherwise an error whose message names
// `what` (the call, e.g. `download of "k"`), the HTTP status and its meaning, and the
// upstream's own error text: the "error" string of a JSON body, or a plain-text body,
// trimmed, with control characters replaced and cut to a few hundred bytes. A retryable
// error carries `retry_after` (the parsed Retry-After header) for the retry loop.
absl::Status StatusFromHttp(int http_status, absl::string_view body, absl::string_view what,
                            std::optional<absl::Duration> retry_after = std::nullopt);

// The upstream's own words from an answer's body: the "error" string of a JSON body, or a
// plain-text body, trimmed, with control characters replaced and cut to a few hundred
// bytes, so that it can go into a message or a log line as it is.
std::string UpstreamErrorText(absl::string_view body);

// A row of the libcurl table.
struct CurlErrorRow {
  // A CURLcode, or kOtherCurlCodes in the last row.
  int curl_code;
  absl::StatusCode code;
  bool retryable;
  absl::string_view meaning;
};

// The curl_code of the table's last row, which matches every code not listed before it.
inline constexpr int kOtherCurlCodes = -1;

// The libcurl rows; every code appears once. The choices a reader may wonder about:
//   - Failures to resolve, connect, send or receive, and answers cut short: UNAVAILABLE,
//     retryable. Nothing (or nothing complete) came back, so trying again is safe.
//   - A refused TLS certificate or an unreadable CA file: UNAVAILABLE, not retryable; it
//     will be refused again until someone fixes the certificate or the configuration.
//   - Timeout: DEADLINE_EXCEEDED, not retryable, since the time is spent.
//   - A malformed URL or an unsupported scheme: FAILED_PRECONDITION, not retryable: the
//     upstream address is misconfigured, which no caller input can change.
//   - Anything else: UNKNOWN, not retryable.
absl::Span<const CurlErrorRow> CurlErrorTable();

// The status for a libcurl result: OK for CURLE_OK, otherwise an error whose message names
// `what`, the row's meaning, libcurl's `error_detail` (its error buffer, or
// curl_easy_strerror) and the curl code.
absl::Status StatusFromCurl(int curl_code, absl::string_view error_detail, absl::string_view what);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_STATUS_MAPPING_H_
