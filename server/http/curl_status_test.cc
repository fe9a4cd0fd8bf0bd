#include "server/http/curl_status.h"

#include <curl/curl.h>

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/retry/retryable.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using Code = absl::StatusCode;

constexpr absl::string_view kWhat = "download of \"k\"";

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
      {CURLE_SEND_FAIL_REWIND, "necessary data rewind wasn't possible", Code::kUnavailable, true,
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
