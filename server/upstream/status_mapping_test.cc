#include "server/upstream/status_mapping.h"

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/retry/retryable.h"

namespace objgate {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Optional;
using Code = absl::StatusCode;

constexpr absl::string_view kWhat = "download of \"k\"";

struct HttpCase {
  int http_status;
  std::string body;
  Code code;
  bool retryable;
  // Empty for OK.
  std::string message;
  // S3's <Code>; the S3 cases give <Message> as the body.
  std::string error_code = "";
};

const std::vector<HttpCase>& HttpCases() {
  static const auto* const cases = new std::vector<HttpCase>{
      {200, "", Code::kOk, false, ""},
      {201, "", Code::kOk, false, ""},
      {204, "", Code::kOk, false, ""},
      {206, "", Code::kOk, false, ""},
      {299, "", Code::kOk, false, ""},
      {400, R"({"error": "missing X-Tenant-ID header"})", Code::kInvalidArgument, false,
       "HTTP 400 (request rejected as invalid): missing X-Tenant-ID header"},
      {401, "unauthorized", Code::kPermissionDenied, false,
       "HTTP 401 (tenant not authenticated): unauthorized"},
      {403, R"({"error": "Quota exceeded"})", Code::kResourceExhausted, false,
       "HTTP 403 (tenant quota exceeded): Quota exceeded"},
      {403, "tenant QUOTA reached", Code::kResourceExhausted, false,
       "HTTP 403 (tenant quota exceeded): tenant QUOTA reached"},
      {403, R"({"error": "forbidden"})", Code::kPermissionDenied, false,
       "HTTP 403 (tenant refused): forbidden"},
      {404, R"({"error": "Object not found"})", Code::kNotFound, false,
       "HTTP 404 (not found): Object not found"},
      {405, "", Code::kUnimplemented, false, "HTTP 405 (operation not supported by the upstream)"},
      {408, "", Code::kUnavailable, true, "HTTP 408 (upstream timed out waiting for the request)"},
      {409, "", Code::kAborted, false, "HTTP 409 (conflicting change)"},
      {410, "", Code::kNotFound, false, "HTTP 410 (gone)"},
      {412, "", Code::kFailedPrecondition, false, "HTTP 412 (precondition failed)"},
      {413, R"({"error": "Object too large"})", Code::kResourceExhausted, false,
       "HTTP 413 (object too large): Object too large"},
      {414, "", Code::kInvalidArgument, false, "HTTP 414 (request URL too long)"},
      {416, "", Code::kOutOfRange, false, "HTTP 416 (range not satisfiable)"},
      {429, "slow down", Code::kUnavailable, true, "HTTP 429 (rate limited): slow down"},
      {402, "", Code::kFailedPrecondition, false, "HTTP 402 (request refused)"},
      {418, "", Code::kFailedPrecondition, false, "HTTP 418 (request refused)"},
      {499, "", Code::kFailedPrecondition, false, "HTTP 499 (request refused)"},
      {500, R"({"error": "disk failure"})", Code::kUnavailable, true,
       "HTTP 500 (upstream failure): disk failure"},
      {501, "", Code::kUnimplemented, false,
       "HTTP 501 (operation not implemented by the upstream)"},
      {502, "", Code::kUnavailable, true, "HTTP 502 (upstream failure)"},
      {503, "", Code::kUnavailable, true, "HTTP 503 (upstream failure)"},
      {504, "", Code::kUnavailable, true, "HTTP 504 (upstream failure)"},
      {599, "", Code::kUnavailable, true, "HTTP 599 (upstream failure)"},
      {100, "", Code::kInternal, false, "HTTP 100 (informational status instead of an answer)"},
      {199, "", Code::kInternal, false, "HTTP 199 (informational status instead of an answer)"},
      {301, "", Code::kInternal, false, "HTTP 301 (redirect, which the gateway does not follow)"},
      {399, "", Code::kInternal, false, "HTTP 399 (redirect, which the gateway does not follow)"},
      {0, "", Code::kInternal, false, "HTTP 0 (not an HTTP status)"},
      {-1, "", Code::kInternal, false, "HTTP -1 (not an HTTP status)"},
      {99, "", Code::kInternal, false, "HTTP 99 (not an HTTP status)"},
      {600, "", Code::kInternal, false, "HTTP 600 (not an HTTP status)"},
      // S3 names its errors; the name decides, whatever the status.
      {404, "The specified key does not exist.", Code::kNotFound, false,
       "HTTP 404 (object not found) NoSuchKey: The specified key does not exist.", "NoSuchKey"},
      {404, "", Code::kNotFound, false, "HTTP 404 (multipart upload not found) NoSuchUpload",
       "NoSuchUpload"},
      {412, "", Code::kFailedPrecondition, false,
       "HTTP 412 (precondition failed) PreconditionFailed", "PreconditionFailed"},
      {416, "", Code::kOutOfRange, false, "HTTP 416 (range not satisfiable) InvalidRange",
       "InvalidRange"},
      {503, "Please reduce your request rate.", Code::kUnavailable, true,
       "HTTP 503 (rate limited) SlowDown: Please reduce your request rate.", "SlowDown"},
      {400, "", Code::kUnavailable, true,
       "HTTP 400 (upstream timed out waiting for the request) RequestTimeout",
       "RequestTimeout"},
      {400, "", Code::kUnavailable, true,
       "HTTP 400 (bytes changed on the way to the store) XAmzContentSHA256Mismatch",
       "XAmzContentSHA256Mismatch"},
      {400, "", Code::kUnavailable, true, "HTTP 400 (bytes changed on the way to the store) BadDigest",
       "BadDigest"},
      {400, "", Code::kResourceExhausted, false, "HTTP 400 (object too large) EntityTooLarge",
       "EntityTooLarge"},
      {403, "", Code::kResourceExhausted, false, "HTTP 403 (quota exceeded) QuotaExceeded",
       "QuotaExceeded"},
      {400, "", Code::kInvalidArgument, false,
       "HTTP 400 (key too long for the store) KeyTooLongError", "KeyTooLongError"},
      {404, "", Code::kFailedPrecondition, false,
       "HTTP 404 (the gateway's bucket does not exist) NoSuchBucket", "NoSuchBucket"},
      {403, "", Code::kFailedPrecondition, false,
       "HTTP 403 (the gateway's access key is unknown to the store) InvalidAccessKeyId",
       "InvalidAccessKeyId"},
      {403, "", Code::kFailedPrecondition, false,
       "HTTP 403 (the gateway's signature was refused) SignatureDoesNotMatch",
       "SignatureDoesNotMatch"},
      {403, "", Code::kFailedPrecondition, false,
       "HTTP 403 (the gateway's credentials were refused) AccessDenied", "AccessDenied"},
      {403, "", Code::kFailedPrecondition, false,
       "HTTP 403 (the gateway's clock is too far from the store's) RequestTimeTooSkewed",
       "RequestTimeTooSkewed"},
      {500, "", Code::kUnavailable, true, "HTTP 500 (upstream failure) InternalError",
       "InternalError"},
      {400, "", Code::kInternal, false, "HTTP 400 (the store refused the upload's parts) InvalidPart",
       "InvalidPart"},
      {400, "", Code::kInternal, false,
       "HTTP 400 (the store refused the upload's parts) EntityTooSmall", "EntityTooSmall"},
      // A name the table does not know: the status decides.
      {409, "", Code::kAborted, false, "HTTP 409 (conflicting change) BucketNotEmpty",
       "BucketNotEmpty"},
  };
  return *cases;
}

TEST(StatusFromHttpTest, MapsEveryCase) {
  for (const HttpCase& c : HttpCases()) {
    SCOPED_TRACE(absl::StrCat("HTTP ", c.http_status, " body ", c.body));
    const absl::Status status =
        c.error_code.empty()
            ? StatusFromHttp({c.http_status, "", c.body}, kWhat)
            : StatusFromHttp({c.http_status, "application/xml", "<Error>...</Error>",
                              c.error_code, c.body},
                             kWhat);
    EXPECT_EQ(status.code(), c.code);
    EXPECT_EQ(IsRetryable(status), c.retryable);
    if (c.code != Code::kOk) {
      EXPECT_EQ(status.message(), absl::StrCat(kWhat, ": upstream answered ", c.message));
    }
  }
}

TEST(StatusFromHttpTest, EveryTableRowIsPinnedByACase) {
  for (const HttpStatusRow& row : HttpStatusTable()) {
    bool pinned = false;
    for (const HttpCase& c : HttpCases()) {
      pinned |= c.code == row.code && c.retryable == row.retryable &&
                (row.code == Code::kOk ||
                 absl::StrContains(c.message, absl::StrCat("(", row.meaning, ")")));
    }
    EXPECT_TRUE(pinned) << "no case for the row \"" << row.meaning << "\"";
  }
}

TEST(HttpStatusTableTest, EndsWithARowForEveryInt) {
  const HttpStatusRow& last = HttpStatusTable().back();
  EXPECT_EQ(last.first, std::numeric_limits<int>::min());
  EXPECT_EQ(last.last, std::numeric_limits<int>::max());
  EXPECT_TRUE(last.body_contains.empty());
}

TEST(HttpStatusTableTest, OnlyUnavailableIsRetryable) {
  for (const HttpStatusRow& row : HttpStatusTable()) {
    if (row.retryable) {
      EXPECT_EQ(row.code, Code::kUnavailable) << row.meaning;
    }
  }
}

TEST(StatusFromHttpTest, RetryableErrorCarriesRetryAfter) {
  const absl::Status status = StatusFromHttp({429, "", ""}, kWhat, absl::Seconds(7));
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(RetryAfter(status), Optional(absl::Seconds(7)));
  EXPECT_EQ(RetryAfter(StatusFromHttp({503, "", ""}, kWhat)), std::nullopt);
}

TEST(StatusFromHttpTest, RetryAfterOnAFinalErrorIsDropped) {
  const absl::Status status = StatusFromHttp({404, "", ""}, kWhat, absl::Seconds(7));
  EXPECT_FALSE(IsRetryable(status));
  EXPECT_EQ(RetryAfter(status), std::nullopt);
}

TEST(StatusFromHttpTest, QuotaIsOnlyAQuotaFor403) {
  EXPECT_EQ(StatusFromHttp({401, "", "quota"}, kWhat).code(), Code::kPermissionDenied);
  EXPECT_EQ(StatusFromHttp({400, "", R"({"error":"quota"})"}, kWhat).code(), Code::kInvalidArgument);
}

// How the upstream's error text appears in the message.
TEST(StatusFromHttpTest, ErrorText) {
  struct Case {
    std::string body;
    std::string suffix;
  };
  const std::string long_text(1 << 20, 'x');
  const std::string big_json = R"({"error": "big", "pad": ")" + std::string(70000, 'p') + "\"}";
  const std::vector<Case> cases = {
      {"", "(upstream failure)"},
      {"  \n", "(upstream failure)"},
      {R"(  {"error": "  disk full  ", "code": 7} )", "(upstream failure): disk full"},
      {"Internal Server Error\n", "(upstream failure): Internal Server Error"},
      {R"({"message": "no error field"})", "(upstream failure): no error field"},
      {R"({"error": 42})", "(upstream failure)"},
      {R"({"error": ""})", "(upstream failure)"},
      {R"({"status": "failed"})", "(upstream failure)"},
      {R"(["error", "an array"])", R"((upstream failure): ["error", "an array"])"},
      {"line one\r\nX-Forged: yes\x7f", "(upstream failure): line one  X-Forged: yes"},
      {long_text, "(upstream failure): " + std::string(256, 'x') + "..."},
      // Too big to parse: nothing of it.
      {big_json, "(upstream failure)"},
      // 255 ASCII bytes then a 2-byte character across the cut: the character goes.
      {std::string(255, 'a') + "\xc3\xa9" + "tail",
       "(upstream failure): " + std::string(255, 'a') + "..."},
      // A character that ends exactly at the cut stays.
      {std::string(254, 'a') + "\xc3\xa9" + "tail",
       "(upstream failure): " + std::string(254, 'a') + "\xc3\xa9..."},
  };
  for (const Case& c : cases) {
    const absl::Status status = StatusFromHttp({500, "", c.body}, kWhat);
    EXPECT_THAT(std::string(status.message()), EndsWith(c.suffix)) << c.body.substr(0, 80);
    EXPECT_LT(status.message().size(), 400u);
  }
}

// An HTML error page (nginx's, a load balancer's) says nothing a caller can use: the
// message is the status line alone. JSON and plain text are read by their content type.
TEST(StatusFromHttpTest, ErrorTextByContentType) {
  struct Case {
    std::string content_type;
    std::string body;
    std::string message;
  };
  const std::string nginx_404 =
      "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not "
      "Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
  const std::vector<Case> cases = {
      {"text/html", nginx_404, "download of \"k\": upstream answered HTTP 404 (not found)"},
      {"", nginx_404, "download of \"k\": upstream answered HTTP 404 (not found)"},
      {"", "  <!DOCTYPE html><p>no</p>", "download of \"k\": upstream answered HTTP 404 (not found)"},
      {"application/xml", "<Error><Code>NoSuchKey</Code></Error>",
       "download of \"k\": upstream answered HTTP 404 (not found)"},
      {"application/json; charset=utf-8", R"({"error": "Object not found"})",
       "download of \"k\": upstream answered HTTP 404 (not found): Object not found"},
      {"application/problem+json", R"({"message": "gone"})",
       "download of \"k\": upstream answered HTTP 404 (not found): gone"},
      {"text/plain; charset=us-ascii", "no such object\n",
       "download of \"k\": upstream answered HTTP 404 (not found): no such object"},
      {"application/octet-stream", "\x01\x02binary",
       "download of \"k\": upstream answered HTTP 404 (not found)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(StatusFromHttp({404, c.content_type, c.body}, kWhat).message(), c.message)
        << c.content_type;
  }
}

TEST(StatusFromHttpTest, HostileJsonDoesNotCrash) {
  const std::string deep = "{\"a\":" + std::string(60000, '[');
  EXPECT_EQ(StatusFromHttp({500, "", deep}, kWhat).code(), Code::kUnavailable);
  EXPECT_EQ(StatusFromHttp({500, "", std::string("{\"error\":\"a\0b\"}", 15)}, kWhat).code(),
            Code::kUnavailable);
  EXPECT_EQ(StatusFromHttp({500, "", "{\"error\":\"\\ud800\"}"}, kWhat).code(), Code::kUnavailable);
}

}  // namespace
}  // namespace objgate
