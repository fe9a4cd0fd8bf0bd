#include "server/upstream/sigv4.h"

#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/http_headers.h"
#include "common/sha256.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

// The AWS Signature Version 4 test suite (AWS General Reference, "Signature Version 4 test
// suite", aws-sig-v4-test-suite.zip), as vendored verbatim by awslabs/aws-c-auth at commit
// 402b2e4 under tests/resources/aws-sig-v4-test-suite/. get-vanilla-with-session-token and
// get-vanilla-query-order-encoded are aws-c-auth's own additions in the same format
// (tests/aws-sig-v4-test-suite/ at commit 3d9f13f). Each case is testdata/sigv4/<case>/
// with the suite's .req, .creq, .sts and .authz files unchanged; the suite's LICENSE
// (Apache 2.0) and NOTICE are beside them.
//
// Left out:
//  - normalize-path/ (get-relative, get-relative-relative, get-slash, get-slash-dot-slash,
//    get-slash-pointless-dot, get-slashes): their canonical paths are the request's path
//    with "." and ".." resolved and repeated slashes merged, which S3 does not do; S3
//    signs the path as sent, and so do we. get-space from the same directory is kept: it
//    only encodes a space, and normalises nothing.
//  - get-header-value-multiline: a header folded over several lines (obs-fold, which RFC
//    7230 section 3.2.4 deprecates and our HTTP layer never sends), whose expected value
//    is disputed: aws-c-auth later changed the published "value1,value2,value3" to
//    "value1 value2 value3" (commit 0613fe1).
constexpr absl::string_view kAccessKeyId = "AKIDEXAMPLE";
constexpr absl::string_view kSecretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// The token of post-sts-token/readme.txt.
constexpr absl::string_view kStsToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfp"
    "SPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPk"
    "yQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqB"
    "Az+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
// The token of aws-c-auth's get-vanilla-with-session-token (its context.json).
constexpr absl::string_view kAwsCAuthToken =
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";

absl::Time SuiteTime() {
  return absl::FromCivil(absl::CivilSecond(2015, 8, 30, 12, 36, 0), absl::UTCTimeZone());
}

SigV4Scope SuiteScope() { return SigV4Scope{"us-east-1", "service"}; }

// The published files contradict one another in two vectors; their .creq still matches
// the .req, and their .sts and .authz are checked as far as they can be.
enum class StsAndAuthz {
  kFromReq,
  // post-x-www-form-urlencoded: the .sts and .authz were computed without the
  // Content-Length header that the .req has and the .creq signs (the .authz's
  // SignedHeaders leave it out), so they are checked against the request without it.
  kWithoutContentLength,
  // post-x-www-form-urlencoded-parameters: the .sts hashes a canonical request without
  // Content-Length and with "charset=utf8" where the .req says "utf-8", while the .authz
  // (whose signature is that of the .sts) lists content-length among its SignedHeaders.
  // No request yields both, so only the .creq is checked.
  kNotReproducible,
};

struct SuiteCase {
  std::string name;
  // The credentials' session token; empty for none.
  std::string session_token;
  // The vector's signer added X-Amz-Security-Token on its own; ours signs only what it
  // is given, so the test adds it first, as the S3 dialect does.
  bool add_token_header = false;
  StsAndAuthz sts_and_authz = StsAndAuthz::kFromReq;
};

// Names the case in failure messages instead of dumping its bytes.
void PrintTo(const SuiteCase& suite_case, std::ostream* out) { *out << suite_case.name; }

std::vector<SuiteCase> SuiteCases() {
  std::vector<SuiteCase> cases;
  for (const char* name : {
           "get-header-key-duplicate",
           "get-header-value-order",
           "get-header-value-trim",
           "get-space",
           "get-unreserved",
           "get-utf8",
           "get-vanilla",
           "get-vanilla-empty-query-key",
           "get-vanilla-query",
           "get-vanilla-query-order-encoded",
           "get-vanilla-query-order-key",
           "get-vanilla-query-order-key-case",
           "get-vanilla-query-order-value",
           "get-vanilla-query-unreserved",
           "get-vanilla-utf8-query",
           "post-header-key-case",
           "post-header-key-sort",
           "post-header-value-case",
           "post-vanilla",
           "post-vanilla-empty-query-value",
           "post-vanilla-query",
       }) {
    cases.push_back({name, "", false, StsAndAuthz::kFromReq});
  }
  cases.push_back({"post-x-www-form-urlencoded", "", false, StsAndAuthz::kWithoutContentLength});
  cases.push_back(
      {"post-x-www-form-urlencoded-parameters", "", false, StsAndAuthz::kNotReproducible});
  // The token is a header of the .req, signed like any other.
  cases.push_back({"post-sts-header-before", std::string(kStsToken), false, StsAndAuthz::kFromReq});
  // The token is added after signing: the signer must not sign one it was not given.
  cases.push_back({"post-sts-header-after", std::string(kStsToken), false, StsAndAuthz::kFromReq});
  cases.push_back(
      {"get-vanilla-with-session-token", std::string(kAwsCAuthToken), true, StsAndAuthz::kFromReq});
  return cases;
}

absl::StatusOr<std::string> ReadTestData(absl::string_view relative_path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::string path =
      absl::StrCat(srcdir != nullptr ? srcdir : ".", "/", workspace != nullptr ? workspace : "",
                   "/server/upstream/testdata/sigv4/", relative_path);
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The suite writes some request targets raw (a space, UTF-8) that no client sends
// unencoded; this is the target as it goes on the wire.
std::string AsSent(absl::string_view target) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string sent;
  for (char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte >= 0x7f) {
      sent.push_back('%');
      sent.push_back(kHex[byte >> 4]);
      sent.push_back(kHex[byte & 0xF]);
    } else {
      sent.push_back(c);
    }
  }
  return sent;
}

struct ParsedRequest {
  std::string method;
  std::string encoded_path;
  std::string encoded_query;
  HttpHeaders headers;
  std::string body;
};

// A .req file: "METHOD target HTTP/1.1", "Name:value" lines, then a blank line and the
// body if there is one.
absl::StatusOr<ParsedRequest> ParseRequest(absl::string_view text) {
  absl::string_view head = text;
  ParsedRequest request;
  if (const size_t blank = text.find("\n\n"); blank != absl::string_view::npos) {
    head = text.substr(0, blank);
    request.body = std::string(text.substr(blank + 2));
  }
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  absl::string_view request_line = lines[0];
  const size_t first_space = request_line.find(' ');
  const size_t last_space = request_line.rfind(' ');
  if (first_space == absl::string_view::npos || first_space == last_space) {
    return absl::InvalidArgumentError(absl::StrCat("bad request line: ", request_line));
  }
  request.method = std::string(request_line.substr(0, first_space));
  const std::string target =
      AsSent(request_line.substr(first_space + 1, last_space - first_space - 1));
  std::pair<std::string, std::string> path_query = absl::StrSplit(target, absl::MaxSplits('?', 1));
  request.encoded_path = path_query.first;
  request.encoded_query = path_query.second;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos || lines[i][0] == ' ' || lines[i][0] == '\t') {
      return absl::InvalidArgumentError(absl::StrCat("bad header line: ", lines[i]));
    }
    request.headers.Add(std::string(lines[i].substr(0, colon)),
                        std::string(lines[i].substr(colon + 1)));
  }
  return request;
}

class SigV4SuiteTest : public testing::TestWithParam<SuiteCase> {
 protected:
  void SetUp() override {
    const std::string& name = GetParam().name;
    absl::StatusOr<std::string> req = ReadTestData(absl::StrCat(name, "/", name, ".req"));
    ASSERT_TRUE(req.ok()) << req.status();
    absl::StatusOr<ParsedRequest> parsed = ParseRequest(*req);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    parsed_ = *std::move(parsed);
    if (GetParam().add_token_header) {
      parsed_.headers.Add(std::string(kAmzSecurityTokenHeader), GetParam().session_token);
    }
    for (const auto& [header_name, value] : parsed_.headers.entries()) {
      if (GetParam().sts_and_authz != StsAndAuthz::kWithoutContentLength ||
          !absl::EqualsIgnoreCase(header_name, "Content-Length")) {
        signed_headers_.Add(header_name, value);
      }
    }
    payload_sha256_ = Sha256::Hex(parsed_.body);
    credentials_ = AwsCredentials{std::string(kAccessKeyId), std::string(kSecretAccessKey),
                                  GetParam().session_token};
  }

  // The request with every header of the .req, as the .creq signs it.
  SigV4Request Request() const { return RequestWith(parsed_.headers); }
  // The request as the .sts and .authz sign it.
  SigV4Request SignedRequest() const { return RequestWith(signed_headers_); }

  std::string Expected(absl::string_view extension) const {
    const std::string& name = GetParam().name;
    absl::StatusOr<std::string> text = ReadTestData(absl::StrCat(name, "/", name, extension));
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? *text : "";
  }

  SigV4Request RequestWith(const HttpHeaders& headers) const {
    return SigV4Request{parsed_.method, parsed_.encoded_path, parsed_.encoded_query, &headers,
                        payload_sha256_};
  }

  ParsedRequest parsed_;
  HttpHeaders signed_headers_;
  std::string payload_sha256_;
  AwsCredentials credentials_;
};

TEST_P(SigV4SuiteTest, CanonicalRequestMatchesCreq) {
  EXPECT_EQ(SigV4CanonicalRequest(Request()), Expected(".creq"));
}

TEST_P(SigV4SuiteTest, StringToSignMatchesSts) {
  if (GetParam().sts_and_authz == StsAndAuthz::kNotReproducible) {
    GTEST_SKIP() << "the published .sts does not follow from the .req";
  }
  EXPECT_EQ(SigV4StringToSign(SigV4CanonicalRequest(SignedRequest()), SuiteTime(), SuiteScope()),
            Expected(".sts"));
}

TEST_P(SigV4SuiteTest, AuthorizationMatchesAuthz) {
  if (GetParam().sts_and_authz == StsAndAuthz::kNotReproducible) {
    GTEST_SKIP() << "the published .authz does not follow from the .req";
  }
  EXPECT_EQ(SigV4Authorization(SignedRequest(), credentials_, SuiteScope(), SuiteTime()),
            Expected(".authz"));
}

INSTANTIATE_TEST_SUITE_P(AwsSigV4TestSuite, SigV4SuiteTest, testing::ValuesIn(SuiteCases()),
                         [](const testing::TestParamInfo<SuiteCase>& case_info) {
                           return absl::StrReplaceAll(case_info.param.name, {{"-", "_"}});
                         });

// "Example: GET Object" of the S3 API reference, "Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk"
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html): the
// S3 case the generic suite lacks, with x-amz-content-sha256 among the signed headers.
TEST(SigV4Test, SignsTheS3DocumentationGetObjectExample) {
  constexpr absl::string_view kEmptySha256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const absl::Time time =
      absl::FromCivil(absl::CivilSecond(2013, 5, 24, 0, 0, 0), absl::UTCTimeZone());
  const HttpHeaders headers{{"Host", "examplebucket.s3.amazonaws.com"},
                            {"Range", "bytes=0-9"},
                            {"x-amz-content-sha256", std::string(kEmptySha256)},
                            {"x-amz-date", AmzDate(time)}};
  const SigV4Request request{"GET", "/test.txt", "", &headers, kEmptySha256};
  const SigV4Scope scope{"us-east-1", "s3"};
  const AwsCredentials credentials{"AKIAIOSFODNN7EXAMPLE",
                                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};

  const std::string canonical_request = SigV4CanonicalRequest(request);

  EXPECT_EQ(canonical_request,
            "GET\n"
            "/test.txt\n"
            "\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n"
            "\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(SigV4StringToSign(canonical_request, time, scope),
            "AWS4-HMAC-SHA256\n"
            "20130524T000000Z\n"
            "20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  // The documentation writes the header without a space after each comma; S3 takes both.
  EXPECT_EQ(SigV4Authorization(request, credentials, scope, time),
            "AWS4-HMAC-SHA256 "
            "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// The canonical request's lines: method, path, query, header lines..., "", signed
// headers, payload hash.
std::vector<std::string> Lines(absl::string_view canonical_request) {
  return absl::StrSplit(canonical_request, '\n');
}

std::string CanonicalQueryOf(absl::string_view encoded_query) {
  const HttpHeaders headers{{"Host", "h"}};
  return Lines(SigV4CanonicalRequest({"GET", "/", encoded_query, &headers, "UNSIGNED-PAYLOAD"}))
      .at(2);
}

TEST(SigV4Test, AmzDateIsCompactUtc) {
  EXPECT_EQ(AmzDate(SuiteTime()), "20150830T123600Z");
  EXPECT_EQ(AmzDate(absl::FromUnixSeconds(0)), "19700101T000000Z");
}

TEST(SigV4Test, PathIsSignedAsSentWithoutNormalisingOrEncodingAgain) {
  const HttpHeaders headers{{"Host", "h"}};
  EXPECT_EQ(Lines(SigV4CanonicalRequest(
                      {"GET", "/bucket//a/./b/../c%20d%2Fe", "", &headers, "UNSIGNED-PAYLOAD"}))
                .at(1),
            "/bucket//a/./b/../c%20d%2Fe");
}

TEST(SigV4Test, EmptyPathSignsAsSlash) {
  const HttpHeaders headers{{"Host", "h"}};
  EXPECT_EQ(Lines(SigV4CanonicalRequest({"GET", "", "", &headers, "UNSIGNED-PAYLOAD"})).at(1), "/");
}

TEST(SigV4Test, QueryParameterWithoutEqualsHasEmptyValue) {
  EXPECT_EQ(CanonicalQueryOf("uploads"), "uploads=");
  EXPECT_EQ(CanonicalQueryOf("versionId=3&acl"), "acl=&versionId=3");
}

TEST(SigV4Test, QuerySortsByNameThenValue) {
  EXPECT_EQ(CanonicalQueryOf("b=2&a=2&a=1&A=3"), "A=3&a=1&a=2&b=2");
  // By name before value, not by "name=value": '-' sorts before '='.
  EXPECT_EQ(CanonicalQueryOf("a-b=1&a=2"), "a=2&a-b=1");
}

TEST(SigV4Test, QueryIsEncodedTheSigV4Way) {
  EXPECT_EQ(CanonicalQueryOf("prefix=a%2fb&k=%7e"), "k=~&prefix=a%2Fb");
  EXPECT_EQ(CanonicalQueryOf("q=%e1%88%b4"), "q=%E1%88%B4");
  EXPECT_EQ(CanonicalQueryOf("q=a+b"), "q=a%2Bb");
  EXPECT_EQ(CanonicalQueryOf("q=a*b!"), "q=a%2Ab%21");
}

TEST(SigV4Test, QueryKeepsAStrayPercentLiteral) {
  EXPECT_EQ(CanonicalQueryOf("q=100%&r=%4"), "q=100%25&r=%254");
}

TEST(SigV4Test, QuerySkipsEmptyParameters) {
  EXPECT_EQ(CanonicalQueryOf("&a=1&&b=2&"), "a=1&b=2");
  EXPECT_EQ(CanonicalQueryOf(""), "");
}

TEST(SigV4Test, HeaderValuesAreTrimmedAndBlankRunsCollapsed) {
  const HttpHeaders headers{{"Host", "h"}, {"X-Meta", " \t a \t  b  c\t "}};
  EXPECT_EQ(Lines(SigV4CanonicalRequest({"GET", "/", "", &headers, "UNSIGNED-PAYLOAD"})).at(4),
            "x-meta:a b c");
}

TEST(SigV4Test, RepeatedHeaderNamesJoinInOrderWhateverTheirCase) {
  const HttpHeaders headers{{"X-B", "2"}, {"Host", "h"}, {"x-b", "1"}, {"X-A", "3"}};
  EXPECT_EQ(SigV4CanonicalRequest({"PUT", "/k", "", &headers, "UNSIGNED-PAYLOAD"}),
            "PUT\n/k\n\nhost:h\nx-a:3\nx-b:2,1\n\nhost;x-a;x-b\nUNSIGNED-PAYLOAD");
}

TEST(SigV4Test, UnsignedPayloadEndsTheCanonicalRequest) {
  const HttpHeaders headers{{"Host", "h"}};
  EXPECT_EQ(Lines(SigV4CanonicalRequest({"PUT", "/k", "", &headers, "UNSIGNED-PAYLOAD"})).back(),
            "UNSIGNED-PAYLOAD");
}

TEST(SigV4Test, SignatureDependsOnTheSecretAndTheDay) {
  const HttpHeaders headers{{"Host", "h"}, {"X-Amz-Date", AmzDate(SuiteTime())}};
  const SigV4Request request{"GET", "/", "", &headers, "UNSIGNED-PAYLOAD"};
  const AwsCredentials credentials{"AKID", "secret-one", ""};
  const AwsCredentials other_secret{"AKID", "secret-two", ""};
  const std::string signed_once =
      SigV4Authorization(request, credentials, SuiteScope(), SuiteTime());

  EXPECT_EQ(SigV4Authorization(request, credentials, SuiteScope(), SuiteTime()), signed_once);
  EXPECT_NE(SigV4Authorization(request, other_secret, SuiteScope(), SuiteTime()), signed_once);
  EXPECT_NE(SigV4Authorization(request, credentials, SuiteScope(), SuiteTime() + absl::Hours(24)),
            signed_once);
  EXPECT_EQ(signed_once.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace objgate
