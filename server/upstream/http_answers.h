#ifndef OBJGATE_SERVER_UPSTREAM_HTTP_ANSWERS_H_
#define OBJGATE_SERVER_UPSTREAM_HTTP_ANSWERS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/http_headers.h"
#include "server/http/http_client.h"
#include "server/upstream/status_mapping.h"
#include "server/upstream/upstream.h"

namespace objgate {

// What both HTTP dialects (REST and S3) read the same way from an upstream's answers.

inline bool IsSuccess(int http_status) { return http_status >= 200 && http_status < 300; }

// An entity tag without quotes or weak marker, as the API shows it.
std::string BareEtag(absl::string_view etag);

// A non-negative decimal that fits in int64 (Content-Length and friends).
std::optional<int64_t> ParseNonNegativeInt(absl::string_view text);

// `Content-Range: bytes FIRST-LAST/TOTAL` of a 206 answer.
struct ContentRange {
  int64_t first = 0;
  int64_t last = 0;
  int64_t total = 0;
};
std::optional<ContentRange> ParseContentRange(absl::string_view value);

// An upstream's answer as the status table sees it (status_mapping.h): its status, its
// Content-Type and body, and, where the dialect names its errors (S3's <Code> and
// <Message>), that name and its words.
HttpAnswer AnswerOf(int http_status, const HttpHeaders& headers, absl::string_view body,
                    absl::string_view error_code = "", absl::string_view error_message = "");

// The status for an error answer through the one status table, carrying the answer's
// Retry-After (read relative to `now`) for the retry loop.
absl::Status StatusFromAnswer(const HttpAnswer& answer, const HttpHeaders& headers,
                              absl::string_view what, absl::Time now);

// The Range and If-Match headers that ask for `spec`'s bytes of its object's version.
void AddDownloadHeaders(const DownloadSpec& spec, HttpHeaders& headers);

// Turns an error answer (status, headers, the start of its body) into the call's status;
// each dialect reads its own error bodies.
using AnswerErrorMapper = std::function<absl::Status(
    int http_status, const HttpHeaders& headers, absl::string_view body, absl::string_view what)>;

// Turns the HTTP answer to a GET of an object's bytes into DownloadSink calls: works out
// which bytes follow (from Content-Range on 206, or from Content-Length when the upstream
// ignored the Range and sent the whole object, in which case the unwanted bytes are dropped
// here), and keeps the start of an error answer for its message.
//
//   DownloadAnswerSink answer(
//       spec, sink, {"X-Checksum-SHA256", "X-Meta-", {}, "X-Checksum-CRC32C"}, map_error);
//   return answer.Outcome(http.Perform(request, answer), "download of \"k\"");
class DownloadAnswerSink : public ResponseSink {
 public:
  // The dialect's names for what an answer says about the object.
  struct HeaderNames {
    // Carries the whole object's SHA-256, when the store declares one.
    std::string checksum;
    // Starts each header of user metadata ("x-amz-meta-"); the checksum header is not
    // user metadata even when it starts so.
    std::string metadata_prefix;
    // Headers that start so but are the gateway's own, not the user's.
    std::vector<std::string> reserved;
    // Carries the whole object's CRC32C as 8 hex digits, when the store declares one;
    // empty for a dialect that never does.
    std::string crc32c;
  };

  DownloadAnswerSink(const DownloadSpec& spec, DownloadSink& sink, HeaderNames names,
                     AnswerErrorMapper map_error)
      : spec_(spec), sink_(sink), names_(std::move(names)), map_error_(std::move(map_error)) {}

  absl::Status OnHead(const HttpResponseHead& head) override;
  absl::Status OnBody(absl::string_view bytes) override;

  // Maps what Perform returned and what arrived to the download's outcome.
  absl::Status Outcome(absl::Status perform_status, absl::string_view what) const;

 private:
  // `header` is one of HeaderNames::reserved.
  bool IsReserved(absl::string_view header) const;
  const DownloadSpec& spec_;
  DownloadSink& sink_;
  const HeaderNames names_;
  const AnswerErrorMapper map_error_;
  int http_status_ = 0;
  HttpHeaders headers_;
  std::string error_body_;
  int64_t to_skip_ = 0;
  int64_t remaining_ = 0;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_HTTP_ANSWERS_H_
