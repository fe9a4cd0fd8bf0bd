#ifndef OBJGATE_SERVER_HTTP_CURL_STATUS_H_
#define OBJGATE_SERVER_HTTP_CURL_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace objgate {

// The table from a libcurl result to the absl::Status the gateway works with: its code,
// and whether the retry loop may try again (the mark of common/retry/retryable.h). The
// statuses of answers that did arrive are the upstream layer's (server/upstream/
// status_mapping.h); this table covers what goes wrong below HTTP.

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

#endif  // OBJGATE_SERVER_HTTP_CURL_STATUS_H_
