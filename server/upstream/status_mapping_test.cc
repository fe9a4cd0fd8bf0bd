#include "server/upstream/status_mapping.h"

#include <curl/curl.h>

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
#include "server/retry/retryable.h"

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
  };
  return *cases;
}

TEST(StatusFromHttpTest, MapsEveryCase) {
  for (const HttpCase& c : HttpCases()) {
    SCOPED_TRACE(absl::StrCat("HTTP ", c.http_status, " body ", c.body));
    const absl::Status status = StatusFromHttp(c.http_status, c.body, kWhat);
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
  const absl::Status status = StatusFromHttp(429, "", kWhat, absl::Seconds(7));
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(RetryAfter(status), Optional(absl::Seconds(7)));
  EXPECT_EQ(RetryAfter(StatusFromHttp(503, "", kWhat)), std::nullopt);
}

TEST(StatusFromHttpTest, RetryAfterOnAFinalErrorIsDropped) {
  const absl::Status status = StatusFromHttp(404, "", kWhat, absl::Seconds(7));
  EXPECT_FALSE(IsRetryable(status));
  EXPECT_EQ(RetryAfter(status), std::nullopt);
}

TEST(StatusFromHttpTest, QuotaIsOnlyAQuotaFor403) {
  EXPECT_EQ(StatusFromHttp(401, "quota", kWhat).code(), Code::kPermissionDenied);
  EXPECT_EQ(StatusFromHttp(400, R"({"error":"quota"})", kWhat).code(), Code::kInvalidArgument);
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
      {R"({"message": "no error field"})", R"((upstream failure): {"message": "no error field"})"},
      {R"({"error": 42})", R"((upstream failure): {"error": 42})"},
      {R"({"error": ""})", "(upstream failure)"},
      {R"(["error", "an array"])", R"((upstream failure): ["error", "an array"])"},
      {"line one\r\nX-Forged: yes\x7f", "(upstream failure): line one  X-Forged: yes"},
      {long_text, "(upstream failure): " + std::string(256, 'x') + "..."},
      // Too big to parse: cut as text.
      {big_json, "(upstream failure): " + big_json.substr(0, 256) + "..."},
      // 255 ASCII bytes then a 2-byte character across the cut: the character goes.
      {std::string(255, 'a') + "\xc3\xa9" + "tail",
       "(upstream failure): " + std::string(255, 'a') + "..."},
      // A character that ends exactly at the cut stays.
      {std::string(254, 'a') + "\xc3\xa9" + "tail",
       "(upstream failure): " + std::string(254, 'a') + "\xc3\xa9..."},
  };
  for (const Case& c : cases) {
    const absl::Status status = StatusFromHttp(500, c.body, kWhat);
    EXPECT_THAT(std::string(status.message()), EndsWith(c.suffix)) << c.body.substr(0, 80);
    EXPECT_LT(status.message().size(), 400u);
  }
}

TEST(StatusFromHttpTest, HostileJsonDoesNotCrash) {
  const std::string deep = "{\"a\":" + std::string(60000, '[');
  EXPECT_EQ(StatusFromHttp(500, deep, kWhat).code(), Code::kUnavailable);
  EXPECT_EQ(StatusFromHttp(500, std::string("{\"error\":\"a\0b\"}", 15), kWhat).code(),
            Code::kUnavailable);
  EXPECT_EQ(StatusFromHttp(500, "{\"error\":\"\\ud800\"}", kWhat).code(), Code::kUnavailable);
}

struct CurlCase {
  int curl_code;
  std::string detail;
  Code code;
  bool retryable;
  // Empty for OK.
  std::string message;
};

const std::vector<CurlCase>& CurlCases() {
  static const auto* const cases = new std::vector<CurlCase>{
      {CURLE_OK, "", Code::kOk, false, ""},
      {CURLE_COULDNT_RESOLVE_PROXY, "Could not resolve proxy: p", Code::kUnavailable, true,
       "could not resolve the proxy: Could not resolve proxy: p (curl error 5)"},
      {CURLE_COULDNT_RESOLVE_HOST, "Could not resolve host: store", Code::kUnavailable, true,
       "could not resolve the upstream: Could not resolve host: store (curl error 6)"},
      {CURLE_COULDNT_CONNECT, "Failed to connect to localhost port 9000: Connection refused",
       Code::kUnavailable, true,
       "could not connect to the upstream: Failed to connect to localhost port 9000: "
       "Connection refused (curl error 7)"},
      {CURLE_SEND_ERROR, "Connection reset by peer", Code::kUnavailable, true,
       "sending to the upstream failed: Connection reset by peer (curl error 55)"},
      {CURLE_RECV_ERROR, "Connection reset by peer", Code::kUnavailable, true,
       "receiving from the upstream failed: Connection reset by peer (curl error 56)"},
      {CURLE_GOT_NOTHING, "Empty reply from server", Code::kUnavailable, true,
       "the upstream closed without answering: Empty reply from server (curl error 52)"},
      {CURLE_PARTIAL_FILE, "transfer closed with 10 bytes remaining to read", Code::kUnavailable,
       true,
       "the upstream's answer ended early: transfer closed with 10 bytes remaining to read "
       "(curl error 18)"},
      {CURLE_SEND_FAIL_REWIND, "necessary data rewind wasn't possible", Code::kUnavailable,
       true,
       "the connection broke while the body was being sent: necessary data rewind wasn't "
       "possible (curl error 65)"},
      {CURLE_HTTP2, "", Code::kUnavailable, true, "HTTP/2 connection failed (curl error 16)"},
      {CURLE_HTTP2_STREAM, "Stream error", Code::kUnavailable, true,
       "HTTP/2 stream reset: Stream error (curl error 92)"},
      {CURLE_SSL_CONNECT_ERROR, "handshake failure", Code::kUnavailable, true,
       "TLS handshake failed: handshake failure (curl error 35)"},
      {CURLE_PEER_FAILED_VERIFICATION, "unable to get local issuer certificate", Code::kUnavailable,
       false,
       "the upstream's TLS certificate was refused: unable to get local issuer certificate "
       "(curl error 60)"},
      {CURLE_SSL_ISSUER_ERROR, "", Code::kUnavailable, false,
       "the upstream's TLS certificate was refused (curl error 83)"},
      {CURLE_SSL_PINNEDPUBKEYNOTMATCH, "", Code::kUnavailable, false,
       "the upstream's TLS certificate was refused (curl error 90)"},
      {CURLE_SSL_CACERT_BADFILE, "error setting certificate file: /etc/ca.pem", Code::kUnavailable,
       false,
       "the CA file could not be read, so the upstream's TLS certificate was refused: "
       "error setting certificate file: /etc/ca.pem (curl error 77)"},
      {CURLE_OPERATION_TIMEDOUT, "Operation timed out after 30000 milliseconds",
       Code::kDeadlineExceeded, false,
       "timed out: Operation timed out after 30000 milliseconds (curl error 28)"},
      {CURLE_ABORTED_BY_CALLBACK, "Callback aborted", Code::kCancelled, false,
       "cancelled: Callback aborted (curl error 42)"},
      {CURLE_URL_MALFORMAT, "URL using bad/illegal format", Code::kFailedPrecondition, false,
       "the upstream URL is malformed: URL using bad/illegal format (curl error 3)"},
      {CURLE_UNSUPPORTED_PROTOCOL, "Protocol \"ftp\" not supported", Code::kFailedPrecondition,
       false,
       "the upstream URL's scheme is not supported: Protocol \"ftp\" not supported "
       "(curl error 1)"},
      {CURLE_FAILED_INIT, "", Code::kUnknown, false, "transfer failed (curl error 2)"},
      {CURLE_OUT_OF_MEMORY, "Out of memory", Code::kUnknown, false,
       "transfer failed: Out of memory (curl error 27)"},
      {9999, "", Code::kUnknown, false, "transfer failed (curl error 9999)"},
  };
  return *cases;
}

TEST(StatusFromCurlTest, MapsEveryCase) {
  for (const CurlCase& c : CurlCases()) {
    SCOPED_TRACE(absl::StrCat("curl code ", c.curl_code));
    const absl::Status status = StatusFromCurl(c.curl_code, c.detail, kWhat);
    EXPECT_EQ(status.code(), c.code);
    EXPECT_EQ(IsRetryable(status), c.retryable);
    EXPECT_EQ(RetryAfter(status), std::nullopt);
    if (c.code != Code::kOk) {
      EXPECT_EQ(status.message(), absl::StrCat(kWhat, ": ", c.message));
    }
  }
}

TEST(StatusFromCurlTest, EveryTableRowIsPinnedByACase) {
  for (const CurlErrorRow& row : CurlErrorTable()) {
    bool pinned = false;
    for (const CurlCase& c : CurlCases()) {
      const bool matches_code = row.curl_code == kOtherCurlCodes
                                    ? absl::StrContains(c.message, row.meaning)
                                    : c.curl_code == row.curl_code;
      pinned |= matches_code && c.code == row.code && c.retryable == row.retryable;
    }
    EXPECT_TRUE(pinned) << "no case for curl code " << row.curl_code;
  }
}

TEST(CurlErrorTableTest, ListsEachCodeOnceAndEndsWithTheRest) {
  std::set<int> seen;
  for (const CurlErrorRow& row : CurlErrorTable()) {
    EXPECT_TRUE(seen.insert(row.curl_code).second) << "curl code " << row.curl_code;
    if (row.retryable) {
      EXPECT_EQ(row.code, Code::kUnavailable) << row.meaning;
    }
  }
  EXPECT_EQ(CurlErrorTable().back().curl_code, kOtherCurlCodes);
}

TEST(StatusFromCurlTest, CertificateErrorsSayTheCertificateWasRefused) {
  for (int code : {CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT, CURLE_SSL_ISSUER_ERROR,
                   CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CACERT_BADFILE}) {
    const absl::Status status = StatusFromCurl(code, "", kWhat);
    EXPECT_THAT(std::string(status.message()), HasSubstr("certificate was refused")) << code;
    EXPECT_FALSE(IsRetryable(status)) << code;
  }
}

TEST(StatusFromCurlTest, DetailIsOneBoundedLine) {
  const absl::Status status =
      StatusFromCurl(CURLE_RECV_ERROR, "a\r\nb" + std::string(10000, 'c'), kWhat);
  EXPECT_THAT(std::string(status.message()), HasSubstr("failed: a  bccc"));
  EXPECT_LT(status.message().size(), 400u);
}

}  // namespace
}  // namespace objgate
