#ifndef OBJGATE_SERVER_UPSTREAM_STATUS_MAPPING_H_
#define OBJGATE_SERVER_UPSTREAM_STATUS_MAPPING_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace objgate {

// The table from the upstream's HTTP answers to the absl::Status the gateway works with:
// its code, and whether the retry loop may try again (the mark of
// common/retry/retryable.h). absl::StatusCode values equal gRPC's, so the code chosen here
// is the gRPC code the caller gets. What goes wrong below HTTP (a refused connection, a
// reset) is the HTTP layer's table, server/http/curl_status.h.
//
// The table is data, so that tests walk it row by row and documentation can be generated
// from it.

// A row of the HTTP table: statuses `first` to `last`; when `error_code` is not empty,
// only answers that name that error (HttpAnswer::error_code, S3's <Code>); when
// `body_contains` is not empty, only answers whose body contains it (ignoring ASCII case).
// The first matching row wins; the rows cover every int.
struct HttpStatusRow {
  int first;
  int last;
  absl::string_view error_code;
  absl::string_view body_contains;
  absl::StatusCode code;
  bool retryable;
  // What the status means for the call, as the message says it: "object not found".
  absl::string_view meaning;
};

// The HTTP rows, in matching order. The rows with an error code come first: S3 names its
// errors, and the name says more than the status (S3 answers 400 for a request that timed
// out, 403 for a wrong signature). The choices a reader may wonder about:
//   - The errors that mean the gateway itself is misconfigured (NoSuchBucket,
//     InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied, RequestTimeTooSkewed):
//     FAILED_PRECONDITION, not retryable. The caller can do nothing about them and
//     retrying cannot help until the operator fixes the configuration; the dialect adds
//     what to fix to the message and logs it.
//   - XAmzContentSHA256Mismatch and BadDigest: the bytes changed on their way to the store.
//     UNAVAILABLE and retryable: the gateway still holds them and sends them again.
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

// An upstream's answer, as the table sees it.
struct HttpAnswer {
  int status = 0;
  // The Content-Type header's value; empty when the answer had none.
  absl::string_view content_type;
  absl::string_view body;
  // The dialect's name for the error, read from the body (S3's <Code>); empty when the
  // dialect names none.
  absl::string_view error_code;
  // The dialect's own words for the error, read from the body (S3's <Message>); when not
  // empty, the message uses them instead of UpstreamErrorText.
  absl::string_view error_message;
};

// The status for an upstream answer: OK for 2xx, otherwise an error whose message is one
// short line naming `what` (the call, e.g. `download of "k"`), the HTTP status and its
// meaning, the error's name where the dialect gave one, and the upstream's own words where
// it gave any (`error_message`, else UpstreamErrorText). A
// retryable error carries `retry_after` (the parsed Retry-After header) for the retry
// loop.
absl::Status StatusFromHttp(const HttpAnswer& answer, absl::string_view what,
                            std::optional<absl::Duration> retry_after = std::nullopt);

// The upstream's own words from an error answer, fit for one line of a message: the
// "error" (or "message") string of a JSON body, or a plain-text body, through OneLine.
// Anything else (an HTML error page of a proxy in front of the store, XML, bytes of an
// unknown type) says nothing a caller can use and gives "". Without a Content-Type, a body
// that starts with '{' is taken for JSON and one that starts with '<' for markup.
std::string UpstreamErrorText(const HttpAnswer& answer);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_STATUS_MAPPING_H_
