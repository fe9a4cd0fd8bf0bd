#include "server/upstream/status_mapping.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/one_line.h"
#include "common/retry/retryable.h"
#include "nlohmann/json.hpp"

namespace objgate {
namespace {

using Code = absl::StatusCode;

constexpr int kMinInt = std::numeric_limits<int>::min();
constexpr int kMaxInt = std::numeric_limits<int>::max();

constexpr HttpStatusRow kHttpRows[] = {
    {400, 599, "NoSuchKey", "", Code::kNotFound, false, "object not found"},
    {400, 599, "NoSuchUpload", "", Code::kNotFound, false, "multipart upload not found"},
    {400, 599, "PreconditionFailed", "", Code::kFailedPrecondition, false, "precondition failed"},
    {400, 599, "InvalidRange", "", Code::kOutOfRange, false, "range not satisfiable"},
    {400, 599, "SlowDown", "", Code::kUnavailable, true, "rate limited"},
    {400, 599, "RequestTimeout", "", Code::kUnavailable, true,
     "upstream timed out waiting for the request"},
    {400, 599, "XAmzContentSHA256Mismatch", "", Code::kUnavailable, true,
     "bytes changed on the way to the store"},
    {400, 599, "BadDigest", "", Code::kUnavailable, true, "bytes changed on the way to the store"},
    {400, 599, "InternalError", "", Code::kUnavailable, true, "upstream failure"},
    {400, 599, "EntityTooLarge", "", Code::kResourceExhausted, false, "object too large"},
    {400, 599, "InvalidPart", "", Code::kInternal, false, "the store refused the upload's parts"},
    {400, 599, "InvalidPartOrder", "", Code::kInternal, false,
     "the store refused the upload's parts"},
    {400, 599, "EntityTooSmall", "", Code::kInternal, false,
     "the store refused the upload's parts"},
    {400, 599, "QuotaExceeded", "", Code::kResourceExhausted, false, "quota exceeded"},
    {400, 599, "KeyTooLongError", "", Code::kInvalidArgument, false, "key too long for the store"},
    {400, 599, "NoSuchBucket", "", Code::kFailedPrecondition, false,
     "the gateway's bucket does not exist"},
    {400, 599, "InvalidAccessKeyId", "", Code::kFailedPrecondition, false,
     "the gateway's access key is unknown to the store"},
    {400, 599, "SignatureDoesNotMatch", "", Code::kFailedPrecondition, false,
     "the gateway's signature was refused"},
    {400, 599, "AccessDenied", "", Code::kFailedPrecondition, false,
     "the gateway's credentials were refused"},
    {400, 599, "RequestTimeTooSkewed", "", Code::kFailedPrecondition, false,
     "the gateway's clock is too far from the store's"},
    {200, 299, "", "", Code::kOk, false, "success"},
    {400, 400, "", "", Code::kInvalidArgument, false, "request rejected as invalid"},
    {401, 401, "", "", Code::kPermissionDenied, false, "tenant not authenticated"},
    {403, 403, "", "quota", Code::kResourceExhausted, false, "tenant quota exceeded"},
    {403, 403, "", "", Code::kPermissionDenied, false, "tenant refused"},
    {404, 404, "", "", Code::kNotFound, false, "not found"},
    {405, 405, "", "", Code::kUnimplemented, false, "operation not supported by the upstream"},
    {408, 408, "", "", Code::kUnavailable, true, "upstream timed out waiting for the request"},
    {409, 409, "", "", Code::kAborted, false, "conflicting change"},
    {410, 410, "", "", Code::kNotFound, false, "gone"},
    {412, 412, "", "", Code::kFailedPrecondition, false, "precondition failed"},
    {413, 413, "", "", Code::kResourceExhausted, false, "object too large"},
    {414, 414, "", "", Code::kInvalidArgument, false, "request URL too long"},
    {416, 416, "", "", Code::kOutOfRange, false, "range not satisfiable"},
    {429, 429, "", "", Code::kUnavailable, true, "rate limited"},
    {400, 499, "", "", Code::kFailedPrecondition, false, "request refused"},
    {501, 501, "", "", Code::kUnimplemented, false, "operation not implemented by the upstream"},
    {500, 599, "", "", Code::kUnavailable, true, "upstream failure"},
    {100, 199, "", "", Code::kInternal, false, "informational status instead of an answer"},
    {300, 399, "", "", Code::kInternal, false, "redirect, which the gateway does not follow"},
    {kMinInt, kMaxInt, "", "", Code::kInternal, false, "not an HTTP status"},
};

// How much of a body is parsed as JSON, and how much of the upstream's text a message
// keeps: enough for any real error answer, never a whole object echoed into a log line.
constexpr size_t kMaxJsonBodyBytes = 64 * 1024;

bool ContainsIgnoringCase(absl::string_view text, absl::string_view needle) {
  return std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
           return absl::ascii_tolower(static_cast<unsigned char>(a)) ==
                  absl::ascii_tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

}  // namespace

std::string UpstreamErrorText(const HttpAnswer& answer) {
  const absl::string_view body = answer.body;
  absl::string_view media_type = answer.content_type.substr(0, answer.content_type.find(';'));
  media_type = absl::StripAsciiWhitespace(media_type);
  const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(body);
  const bool json = media_type.empty() ? absl::StartsWith(trimmed, "{")
                                       : absl::EqualsIgnoreCase(media_type, "application/json") ||
                                             absl::EndsWithIgnoreCase(media_type, "+json");
  if (json) {
    if (trimmed.size() > kMaxJsonBodyBytes) return "";
    const nlohmann::json parsed = nlohmann::json::parse(trimmed.begin(), trimmed.end(),
                                                        /*cb=*/nullptr,
                                                        /*allow_exceptions=*/false);
    if (!parsed.is_object()) return "";
    for (const char* field : {"error", "message"}) {
      auto text = parsed.find(field);
      if (text != parsed.end() && text->is_string()) {
        return OneLine(text->get_ref<const std::string&>());
      }
    }
    return "";
  }
  const bool plain_text = media_type.empty() ? !absl::StartsWith(trimmed, "<")
                                             : absl::EqualsIgnoreCase(media_type, "text/plain");
  return plain_text ? OneLine(body) : "";
}

namespace {

absl::Status MakeStatus(absl::StatusCode code, bool retryable, std::string message,
                        std::optional<absl::Duration> retry_after) {
  absl::Status status(code, message);
  return retryable ? MarkRetryable(std::move(status), retry_after) : status;
}

}  // namespace

absl::Span<const HttpStatusRow> HttpStatusTable() { return kHttpRows; }

absl::Status StatusFromHttp(const HttpAnswer& answer, absl::string_view what,
                            std::optional<absl::Duration> retry_after) {
  const HttpStatusRow* row =
      std::find_if(std::begin(kHttpRows), std::end(kHttpRows), [&](const HttpStatusRow& candidate) {
        return candidate.first <= answer.status && answer.status <= candidate.last &&
               (candidate.error_code.empty() || candidate.error_code == answer.error_code) &&
               (candidate.body_contains.empty() ||
                ContainsIgnoringCase(answer.body, candidate.body_contains));
      });
  if (row->code == Code::kOk) return absl::OkStatus();
  std::string message =
      absl::StrCat(what, ": upstream answered HTTP ", answer.status, " (", row->meaning, ")");
  if (!answer.error_code.empty()) absl::StrAppend(&message, " ", OneLine(answer.error_code));
  const std::string text =
      answer.error_message.empty() ? UpstreamErrorText(answer) : OneLine(answer.error_message);
  if (!text.empty()) absl::StrAppend(&message, ": ", text);
  return MakeStatus(row->code, row->retryable, std::move(message), retry_after);
}

}  // namespace objgate
