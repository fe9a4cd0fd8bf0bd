// S3Upstream against the shared FakeHttpClient and FakeClock: every request it signs and
// sends (method, URL, headers, body), and every answer it reads, without a store. Retry
// waits run on the fake clock, so they take no time.
#include "server/upstream/s3_upstream.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"
#include "common/testing/fake_clock.h"
#include "common/url_encoding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/testing/fake_http_client.h"
#include "server/upstream/retrying_upstream.h"
#include "server/upstream/s3_request.h"
#include "server/upstream/sigv4.h"
#include "server/upstream/testing/fake_upstream.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kEndpoint[] = "http://store.test:9000";
constexpr char kHost[] = "store.test:9000";
constexpr char kBucket[] = "data";
constexpr char kTenant[] = "t1";
// The AWS SigV4 test suite's example credentials.
constexpr char kAccessKeyId[] = "AKIDEXAMPLE";
constexpr char kSecretAccessKey[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSessionToken[] = "FQoGZXIvYXdzEXAMPLE/session+token=";
constexpr char kUploadId[] = "upload-1";
// What the default completion answers; a real one is MultipartEtag of the parts.
constexpr char kCompletedEtag[] = "3858f62230ac3c915f300c664312c11f-3";
// S3's smallest part, so that a multipart upload needs only a few MiB.
constexpr int64_t kPartBytes = kMinS3PartBytes;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2024, 5, 1, 12, 34, 56), absl::UTCTimeZone());
constexpr char kAmzNow[] = "20240501T123456Z";

std::string EmptySha256() { return Sha256::Hex(""); }

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

std::string Md5Hex(absl::string_view bytes) {
  unsigned char md5[EVP_MAX_MD_SIZE];
  unsigned int md5_size = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), md5, &md5_size, EVP_md5(), nullptr), 1);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md5), md5_size));
}

// The ETag S3 gives a multipart upload of `parts`, computed here from the bytes, apart
// from the code under test: the MD5 of the parts' binary MD5s, then "-N".
std::string MultipartEtag(const std::vector<std::string>& parts) {
  std::string digests;
  for (const std::string& part : parts) digests += absl::HexStringToBytes(Md5Hex(part));
  return absl::StrCat(Md5Hex(digests), "-", parts.size());
}

// Bytes that differ from part to part, so that a part sent in the wrong place shows.
std::string RandomBytes(size_t size, uint32_t seed = 1) {
  std::minstd_rand random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random() & 0xff);
  return bytes;
}

// `bytes` cut into parts of kPartBytes, as S3Upstream should send them.
std::vector<std::string> Parts(absl::string_view bytes) {
  std::vector<std::string> parts;
  for (size_t at = 0; at < bytes.size(); at += kPartBytes) {
    parts.emplace_back(bytes.substr(at, kPartBytes));
  }
  return parts;
}

FakeHttpAnswer Answer(int status, std::string body = "", HttpHeaders headers = {}) {
  FakeHttpAnswer answer;
  answer.status = status;
  answer.body = std::move(body);
  answer.headers = std::move(headers);
  return answer;
}

FakeHttpAnswer XmlAnswer(int status, std::string body) {
  return Answer(status, absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", body),
                {{"Content-Type", "application/xml"}});
}

FakeHttpAnswer S3ErrorAnswer(int status, absl::string_view code,
                             absl::string_view message = "the store's own words") {
  return XmlAnswer(status, absl::StrCat("<Error><Code>", code, "</Code><Message>", message,
                                        "</Message><RequestId>r-9</RequestId></Error>"));
}

FakeHttpAnswer TransportError() {
  FakeHttpAnswer answer;
  answer.error = MarkRetryable(absl::UnavailableError("connection reset by peer"));
  return answer;
}

// A ListObjectsV2 page with its keys url-encoded, as the gateway asks for them.
FakeHttpAnswer ListAnswer(const std::vector<std::string>& keys,
                          const std::string& next_continuation = "") {
  std::string xml = absl::StrCat(
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>data</Name>"
      "<EncodingType>url</EncodingType><KeyCount>",
      keys.size(), "</KeyCount><IsTruncated>", next_continuation.empty() ? "false" : "true",
      "</IsTruncated>");
  if (!next_continuation.empty()) {
    absl::StrAppend(&xml, "<NextContinuationToken>", next_continuation, "</NextContinuationToken>");
  }
  for (const std::string& key : keys) {
    absl::StrAppend(&xml, "<Contents><Key>", UrlEncode(key),
                    "</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified>"
                    "<ETag>&quot;e1&quot;</ETag><Size>3</Size></Contents>");
  }
  absl::StrAppend(&xml, "</ListBucketResult>");
  return XmlAnswer(200, xml);
}

FakeHttpAnswer CompleteAnswer(absl::string_view etag) {
  return XmlAnswer(200, absl::StrCat("<CompleteMultipartUploadResult "
                                     "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                                     "<Location>http://store.test:9000/data/t1/big</Location>"
                                     "<Bucket>data</Bucket><Key>t1/big</Key><ETag>",
                                     etag, "</ETag></CompleteMultipartUploadResult>"));
}

bool IsCreate(const RecordedHttpRequest& request) {
  return request.method == "POST" && absl::EndsWith(request.url, "?uploads=");
}
bool IsPart(const RecordedHttpRequest& request, int number) {
  return request.method == "PUT" &&
         absl::StrContains(request.url, absl::StrCat("?partNumber=", number, "&"));
}
bool IsComplete(const RecordedHttpRequest& request) {
  return request.method == "POST" && absl::StrContains(request.url, "?uploadId=");
}

// Answers the requests of an upload as S3 does: an upload id, each part's (and each
// PutObject's) MD5 as its ETag, a completion, an abort, and a HEAD.
FakeHttpAnswer S3Answer(const RecordedHttpRequest& request) {
  if (IsCreate(request)) {
    return XmlAnswer(200, absl::StrCat("<InitiateMultipartUploadResult><Bucket>data</Bucket>"
                                       "<Key>t1/big</Key><UploadId>",
                                       kUploadId, "</UploadId></InitiateMultipartUploadResult>"));
  }
  if (request.method == "PUT") return Answer(200, "", {{"ETag", Quote(Md5Hex(request.body))}});
  if (IsComplete(request)) return CompleteAnswer(absl::StrCat("&quot;", kCompletedEtag, "&quot;"));
  if (request.method == "DELETE") return Answer(204);
  if (request.method == "HEAD") {
    return Answer(200, "", {{"ETag", Quote(kCompletedEtag)}, {"Content-Length", "1"}});
  }
  return Answer(501, "not scripted", {{"Content-Type", "text/plain"}});
}

// "METHOD /path?query" of each request, for asserting on the sequence of a call's requests.
std::vector<std::string> Lines(const std::vector<RecordedHttpRequest>& requests) {
  std::vector<std::string> lines;
  for (const RecordedHttpRequest& request : requests) {
    lines.push_back(absl::StrCat(request.method, " ", absl::StripPrefix(request.url, kEndpoint)));
  }
  return lines;
}

// The requests of an upload of "big", as Lines shows them.
constexpr char kCreate[] = "POST /data/t1/big?uploads=";
constexpr char kPart1[] = "PUT /data/t1/big?partNumber=1&uploadId=upload-1";
constexpr char kPart2[] = "PUT /data/t1/big?partNumber=2&uploadId=upload-1";
constexpr char kPart3[] = "PUT /data/t1/big?partNumber=3&uploadId=upload-1";
constexpr char kComplete[] = "POST /data/t1/big?uploadId=upload-1";
constexpr char kAbort[] = "DELETE /data/t1/big?uploadId=upload-1";
constexpr char kHead[] = "HEAD /data/t1/big";

// The Authorization header SigV4 gives `request` as it was recorded: signed over every
// header it carries but Authorization itself and X-Request-Id (added after signing), its
// path and query as sent, and the payload hash it declares.
std::string AuthorizationOf(const RecordedHttpRequest& request, const AwsCredentials& credentials,
                            absl::string_view region = "us-east-1") {
  HttpHeaders headers;
  for (const auto& [name, value] : request.headers.entries()) {
    if (!absl::EqualsIgnoreCase(name, "Authorization") &&
        !absl::EqualsIgnoreCase(name, "X-Request-Id")) {
      headers.Add(name, value);
    }
  }
  absl::string_view target = request.url;
  target.remove_prefix(target.find("://") + 3);
  target.remove_prefix(std::min(target.find('/'), target.size()));
  const size_t question = target.find('?');
  const absl::string_view path = target.substr(0, question);
  const absl::string_view query =
      question == absl::string_view::npos ? "" : target.substr(question + 1);
  const std::string payload_sha256(headers.Get("X-Amz-Content-Sha256").value_or(""));
  SigV4Request signing{request.method, path, query, &headers, payload_sha256};
  return SigV4Authorization(signing, credentials, {std::string(region), "s3"}, kNow);
}

std::string Keys(const ListPage& page) {
  std::string keys;
  for (const ObjectEntry& entry : page.entries) absl::StrAppend(&keys, entry.key, " ");
  return keys;
}

// Gives `bytes`, then fails with `error` where it would have ended: a caller that broke
// off mid-way, or a body whose SHA-256 did not match at its last Read.
class FailingSource final : public ByteSource {
 public:
  FailingSource(absl::string_view bytes, absl::Status error)
      : bytes_(bytes), error_(std::move(error)) {}

  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    if (bytes_.empty()) return error_;
    const size_t n = std::min(buffer.size(), bytes_.size());
    bytes_.copy(buffer.data(), n);
    bytes_.remove_prefix(n);
    return n;
  }

 private:
  absl::string_view bytes_;
  const absl::Status error_;
};

std::unique_ptr<AwsCredentialsProvider> MakeCredentials(std::string session_token = "") {
  absl::StatusOr<std::unique_ptr<AwsCredentialsProvider>> provider = AwsCredentialsProvider::Create(
      [session_token](absl::string_view name) -> std::optional<std::string> {
        if (name == "AWS_ACCESS_KEY_ID") return kAccessKeyId;
        if (name == "AWS_SECRET_ACCESS_KEY") return kSecretAccessKey;
        if (name == "AWS_SESSION_TOKEN") return session_token;
        return std::nullopt;
      });
  EXPECT_TRUE(provider.ok()) << provider.status();
  return provider.ok() ? *std::move(provider) : nullptr;
}

class S3UpstreamTest : public ::testing::Test {
 protected:
  S3UpstreamTest()
      : retry_(
            *BackoffPolicy::Create(RetryOptions{3, absl::Milliseconds(1), absl::Milliseconds(10)})),
        credentials_(MakeCredentials()),
        upstream_(MakeUpstream(Options())) {}

  S3UpstreamOptions Options() {
    S3UpstreamOptions options;
    options.endpoint = kEndpoint;
    options.bucket = kBucket;
    options.part_bytes = kPartBytes;
    options.log_error = [this](absl::string_view message) { logged_.emplace_back(message); };
    return options;
  }
  std::unique_ptr<S3Upstream> MakeUpstream(S3UpstreamOptions options,
                                           AwsCredentialsProvider* credentials = nullptr) {
    absl::StatusOr<std::unique_ptr<S3Upstream>> upstream =
        S3Upstream::Create(http_, credentials != nullptr ? *credentials : *credentials_, retry_,
                           clock_, std::move(options));
    EXPECT_TRUE(upstream.ok()) << upstream.status();
    return upstream.ok() ? *std::move(upstream) : nullptr;
  }
  CallContext Context(std::string tenant = kTenant) {
    CallContext context;
    context.tenant_id = std::move(tenant);
    context.request_id = "req-1";
    context.stats = &stats_;
    return context;
  }
  RecordedHttpRequest OnlyRequest() {
    std::vector<RecordedHttpRequest> requests = http_.requests();
    EXPECT_THAT(requests, SizeIs(1));
    return requests.empty() ? RecordedHttpRequest() : requests[0];
  }
  RecordedHttpRequest LastRequest() {
    std::vector<RecordedHttpRequest> requests = http_.requests();
    EXPECT_THAT(requests, Not(IsEmpty()));
    return requests.empty() ? RecordedHttpRequest() : requests.back();
  }
  AwsCredentials Credentials() const { return {kAccessKeyId, kSecretAccessKey, ""}; }

  // Uploads `bytes` as "big" against S3Answer, with `failure` answered once to the first
  // send of part 2.
  absl::StatusOr<StoredObject> UploadWithPart2FailingOnce(const std::string& bytes,
                                                          FakeHttpAnswer failure) {
    bool failed = false;
    http_.SetHandler([&](const RecordedHttpRequest& request) {
      if (IsPart(request, 2) && !failed) {
        failed = true;
        return failure;
      }
      return S3Answer(request);
    });
    StringByteSource body(bytes);
    absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), UploadSpec{"big"}, body);
    http_.SetHandler(S3Answer);
    return stored;
  }

  FakeHttpClient http_;
  FakeClock clock_{kNow};
  const BackoffPolicy retry_;
  std::unique_ptr<AwsCredentialsProvider> credentials_;
  CallStats stats_;
  std::vector<std::string> logged_;
  std::unique_ptr<S3Upstream> upstream_;
};

// Signing.

TEST_F(S3UpstreamTest, GetIsSignedWithSigV4AtTheClocksTime) {
  http_.Enqueue(Answer(200, "hello", {{"Content-Length", "5"}}));
  RecordingDownloadSink sink;
  ASSERT_TRUE(upstream_->Download(Context(), DownloadSpec{"k"}, sink).ok());
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://store.test:9000/data/t1/k");
  EXPECT_FALSE(request.has_body);
  EXPECT_EQ(request.headers.Get("Host"), kHost);
  EXPECT_EQ(request.headers.Get("X-Amz-Date"), kAmzNow);
  EXPECT_EQ(request.headers.Get("X-Amz-Content-Sha256"), EmptySha256());
  EXPECT_EQ(request.headers.Get("X-Amz-Security-Token"), std::nullopt);
  EXPECT_EQ(request.headers.Get("X-Request-Id"), "req-1");

  const std::string payload_sha256 = EmptySha256();
  const HttpHeaders signed_headers{
      {"Host", kHost}, {"X-Amz-Date", kAmzNow}, {"X-Amz-Content-Sha256", payload_sha256}};
  const SigV4Request expected{"GET", "/data/t1/k", "", &signed_headers, payload_sha256};
  EXPECT_EQ(request.headers.Get("Authorization"),
            SigV4Authorization(expected, Credentials(), {"us-east-1", "s3"}, kNow));
  EXPECT_THAT(std::string(request.headers.Get("Authorization").value_or("")),
              StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/s3/"
                         "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                         "Signature="));
}

TEST_F(S3UpstreamTest, SessionTokenIsSentAndSigned) {
  std::unique_ptr<AwsCredentialsProvider> with_token = MakeCredentials(kSessionToken);
  std::unique_ptr<S3Upstream> upstream = MakeUpstream(Options(), with_token.get());
  http_.Enqueue(Answer(200, "hello", {{"Content-Length", "5"}}));
  RecordingDownloadSink sink;
  ASSERT_TRUE(upstream->Download(Context(), DownloadSpec{"k"}, sink).ok());
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.headers.Get("X-Amz-Security-Token"), kSessionToken);

  const std::string payload_sha256 = EmptySha256();
  const HttpHeaders signed_headers{{"Host", kHost},
                                   {"X-Amz-Date", kAmzNow},
                                   {"X-Amz-Content-Sha256", payload_sha256},
                                   {"X-Amz-Security-Token", kSessionToken}};
  const SigV4Request expected{"GET", "/data/t1/k", "", &signed_headers, payload_sha256};
  EXPECT_EQ(request.headers.Get("Authorization"),
            SigV4Authorization(expected, {kAccessKeyId, kSecretAccessKey, kSessionToken},
                               {"us-east-1", "s3"}, kNow));
  EXPECT_THAT(std::string(request.headers.Get("Authorization").value_or("")),
              HasSubstr("SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                        "x-amz-security-token,"));
}

TEST_F(S3UpstreamTest, VirtualHostAddressingPutsTheBucketInTheHostAndSignsTheRegion) {
  S3UpstreamOptions options = Options();
  options.virtual_host_addressing = true;
  options.region = "eu-central-1";
  std::unique_ptr<S3Upstream> upstream = MakeUpstream(std::move(options));
  http_.Enqueue(Answer(200, "hello", {{"Content-Length", "5"}}));
  RecordingDownloadSink sink;
  ASSERT_TRUE(upstream->Download(Context(), DownloadSpec{"k"}, sink).ok());
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.url, "http://data.store.test:9000/t1/k");
  EXPECT_EQ(request.headers.Get("Host"), "data.store.test:9000");

  const std::string payload_sha256 = EmptySha256();
  const HttpHeaders signed_headers{{"Host", "data.store.test:9000"},
                                   {"X-Amz-Date", kAmzNow},
                                   {"X-Amz-Content-Sha256", payload_sha256}};
  const SigV4Request expected{"GET", "/t1/k", "", &signed_headers, payload_sha256};
  EXPECT_EQ(request.headers.Get("Authorization"),
            SigV4Authorization(expected, Credentials(), {"eu-central-1", "s3"}, kNow));
  EXPECT_THAT(std::string(request.headers.Get("Authorization").value_or("")),
              HasSubstr("Credential=AKIDEXAMPLE/20240501/eu-central-1/s3/aws4_request"));
}

TEST_F(S3UpstreamTest, KeysAreEncodedIntoThePathAndStayUnderTheTenantsPrefix) {
  struct Case {
    std::string key;
    std::string encoded;
  };
  const std::vector<Case> cases = {
      {"a/b/c", "a/b/c"},
      {"../../t2/secret", "../../t2/secret"},
      {"./.", "./."},
      {"with space", "with%20space"},
      {"100%", "100%25"},
      {"%2F", "%252F"},
      {"\xC3\xA9t\xC3\xA9/\xE6\x97\xA5", "%C3%A9t%C3%A9/%E6%97%A5"},
      {"a+b=c&d?e#f;g", "a%2Bb%3Dc%26d%3Fe%23f%3Bg"},
      {"~._-", "~._-"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    http_.Enqueue(Answer(200, "x", {{"Content-Length", "1"}}));
    RecordingDownloadSink sink;
    ASSERT_TRUE(upstream_->Download(Context(), DownloadSpec{c.key}, sink).ok());
    const RecordedHttpRequest request = LastRequest();
    EXPECT_EQ(c.encoded, EncodeS3KeyPath(c.key));
    EXPECT_EQ(request.url, absl::StrCat("http://store.test:9000/data/t1/", c.encoded));
    EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()));
  }
}

// Upload.

TEST_F(S3UpstreamTest, SmallUploadIsOnePutObjectWithItsSha256AndMetadata) {
  http_.SetHandler(S3Answer);
  UploadSpec spec{"dir/k", "", 5, "", {{"Owner", "me"}, {"purpose", "test"}}};
  StringByteSource body("hello");
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), spec, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->key, "dir/k");
  EXPECT_EQ(stored->size, 5);
  EXPECT_EQ(stored->etag, Md5Hex("hello"));

  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.url, "http://store.test:9000/data/t1/dir/k");
  EXPECT_EQ(request.body, "hello");
  EXPECT_EQ(request.body_size, 5);
  EXPECT_EQ(request.headers.Get("Content-Type"), "application/octet-stream");
  EXPECT_EQ(request.headers.Get("x-amz-meta-owner"), "me");
  EXPECT_EQ(request.headers.Get("x-amz-meta-purpose"), "test");
  EXPECT_EQ(request.headers.Get("x-amz-meta-objgate-sha256"), Sha256::Hex("hello"));
  EXPECT_EQ(request.headers.Get("X-Amz-Content-Sha256"), Sha256::Hex("hello"));
  EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()));
  EXPECT_THAT(std::string(request.headers.Get("Authorization").value_or("")),
              HasSubstr("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;"
                        "x-amz-meta-objgate-sha256;x-amz-meta-owner;x-amz-meta-purpose,"));
}

TEST_F(S3UpstreamTest, UploadKeepsTheCallersContentType) {
  http_.SetHandler(S3Answer);
  StringByteSource body("{}");
  ASSERT_TRUE(upstream_->Upload(Context(), UploadSpec{"k", "application/json"}, body).ok());
  EXPECT_EQ(OnlyRequest().headers.Get("Content-Type"), "application/json");
}

TEST_F(S3UpstreamTest, UploadOfExactlyOnePartIsOnePutObject) {
  const std::string bytes = RandomBytes(kPartBytes);
  http_.SetHandler(S3Answer);
  StringByteSource body(bytes);
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), UploadSpec{"k"}, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->size, kPartBytes);
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.url, "http://store.test:9000/data/t1/k");
  EXPECT_EQ(request.body_size, kPartBytes);
  EXPECT_TRUE(request.body == bytes);
  EXPECT_EQ(request.headers.Get("x-amz-meta-objgate-sha256"), Sha256::Hex(bytes));
}

TEST_F(S3UpstreamTest, LargeUploadIsAMultipartUploadOfPartsEachSignedWithItsSha256) {
  const std::string bytes = RandomBytes(2 * kPartBytes + 1000);
  const std::vector<std::string> parts = Parts(bytes);
  const std::string declared = absl::AsciiStrToUpper(Sha256::Hex(bytes));
  http_.SetHandler(S3Answer);
  UploadSpec spec{
      "big", "video/mp4", static_cast<int64_t>(bytes.size()), declared, {{"owner", "me"}}};
  StringByteSource body(bytes);
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), spec, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->key, "big");
  EXPECT_EQ(stored->size, static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(stored->etag, kCompletedEtag);

  const std::vector<RecordedHttpRequest> requests = http_.requests();
  EXPECT_THAT(Lines(requests), ElementsAre(kCreate, kPart1, kPart2, kPart3, kComplete));
  ASSERT_THAT(requests, SizeIs(5));
  for (const RecordedHttpRequest& request : requests) {
    EXPECT_EQ(request.headers.Get("X-Amz-Content-Sha256"), Sha256::Hex(request.body));
    EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()))
        << request.url;
  }

  // The object's headers, and the declared SHA-256, go with the creation.
  const RecordedHttpRequest& create = requests[0];
  EXPECT_EQ(create.body, "");
  EXPECT_EQ(create.headers.Get("Content-Type"), "video/mp4");
  EXPECT_EQ(create.headers.Get("x-amz-meta-owner"), "me");
  EXPECT_EQ(create.headers.Get("x-amz-meta-objgate-sha256"), Sha256::Hex(bytes));

  for (int number = 1; number <= 3; ++number) {
    const RecordedHttpRequest& part = requests[number];
    const std::string& expected = parts[number - 1];
    EXPECT_TRUE(part.body == expected) << "part " << number << " has other bytes";
    EXPECT_EQ(part.body_size, static_cast<int64_t>(expected.size()));
    EXPECT_EQ(part.headers.Get("X-Amz-Content-Sha256"), Sha256::Hex(expected));
    EXPECT_EQ(part.headers.Get("x-amz-meta-objgate-sha256"), std::nullopt);
  }

  const RecordedHttpRequest& complete = requests[4];
  std::string listed;
  for (int number = 1; number <= 3; ++number) {
    absl::StrAppend(&listed, "<Part><PartNumber>", number, "</PartNumber><ETag>\"",
                    Md5Hex(parts[number - 1]), "\"</ETag></Part>");
  }
  EXPECT_THAT(complete.body, HasSubstr(absl::StrCat("<CompleteMultipartUpload xmlns=\"http://"
                                                    "s3.amazonaws.com/doc/2006-03-01/\">",
                                                    listed, "</CompleteMultipartUpload>")));
  EXPECT_EQ(stats_.retries, 0);
}

TEST_F(S3UpstreamTest, MultipartUploadWithoutADeclaredSha256StoresNone) {
  const std::string bytes = RandomBytes(kPartBytes + 1);
  http_.SetHandler(S3Answer);
  StringByteSource body(bytes);
  ASSERT_TRUE(upstream_->Upload(Context(), UploadSpec{"big"}, body).ok());
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  ASSERT_THAT(requests, SizeIs(4));
  EXPECT_TRUE(IsCreate(requests[0]));
  EXPECT_EQ(requests[0].headers.Get("x-amz-meta-objgate-sha256"), std::nullopt);
  EXPECT_EQ(requests[0].headers.Get("Content-Type"), "application/octet-stream");
}

TEST_F(S3UpstreamTest, PartThatFailsWith503IsSentAgainWithTheSameBytes) {
  const std::string bytes = RandomBytes(2 * kPartBytes + 1000);
  absl::StatusOr<StoredObject> stored = UploadWithPart2FailingOnce(
      bytes, S3ErrorAnswer(503, "ServiceUnavailable", "Please reduce your request rate."));
  ASSERT_TRUE(stored.ok()) << stored.status();
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  EXPECT_THAT(Lines(requests), ElementsAre(kCreate, kPart1, kPart2, kPart2, kPart3, kComplete));
  ASSERT_THAT(requests, SizeIs(6));
  EXPECT_TRUE(requests[2].body == Parts(bytes)[1]);
  EXPECT_TRUE(requests[3].body == Parts(bytes)[1]);
  EXPECT_EQ(requests[3].headers.Get("X-Amz-Content-Sha256"), Sha256::Hex(Parts(bytes)[1]));
  EXPECT_THAT(clock_.sleeps(), SizeIs(1));
  EXPECT_EQ(stats_.retries, 1);
}

TEST_F(S3UpstreamTest, PartThatFailsInTransportIsSentAgainWithTheSameBytes) {
  const std::string bytes = RandomBytes(2 * kPartBytes + 1000);
  absl::StatusOr<StoredObject> stored = UploadWithPart2FailingOnce(bytes, TransportError());
  ASSERT_TRUE(stored.ok()) << stored.status();
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  ASSERT_THAT(requests, SizeIs(6));
  EXPECT_TRUE(IsPart(requests[2], 2));
  EXPECT_TRUE(IsPart(requests[3], 2));
  EXPECT_TRUE(requests[3].body == Parts(bytes)[1]);
  EXPECT_TRUE(IsComplete(requests[5]));
  EXPECT_THAT(requests[5].body, HasSubstr(Md5Hex(Parts(bytes)[1])));
  EXPECT_EQ(stats_.retries, 1);
}

TEST_F(S3UpstreamTest, PartThatFailsForGoodAbortsTheUpload) {
  const std::string bytes = RandomBytes(2 * kPartBytes + 1000);
  absl::StatusOr<StoredObject> stored = UploadWithPart2FailingOnce(
      bytes, S3ErrorAnswer(400, "InvalidArgument", "Part number must be an integer"));
  EXPECT_TRUE(absl::IsInvalidArgument(stored.status())) << stored.status();
  EXPECT_THAT(stored.status().message(), HasSubstr("part 2 of the upload of \"big\""));
  EXPECT_THAT(Lines(http_.requests()), ElementsAre(kCreate, kPart1, kPart2, kAbort));
}

TEST_F(S3UpstreamTest, FailedCompletionAbortsTheUpload) {
  http_.SetHandler([](const RecordedHttpRequest& request) {
    if (IsComplete(request)) {
      return S3ErrorAnswer(400, "InvalidPart",
                           "One or more of the specified parts could not "
                           "be found.");
    }
    return S3Answer(request);
  });
  const std::string bytes = RandomBytes(kPartBytes + 10);
  StringByteSource body(bytes);
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), UploadSpec{"big"}, body);
  EXPECT_TRUE(absl::IsInternal(stored.status())) << stored.status();
  EXPECT_THAT(Lines(http_.requests()), ElementsAre(kCreate, kPart1, kPart2, kComplete, kAbort));
}

TEST_F(S3UpstreamTest, BodyErrorMidwayAbortsTheUploadAndIsReturned) {
  const std::string bytes = RandomBytes(kPartBytes + kPartBytes / 2);
  const absl::Status broken = absl::CancelledError("the caller went away");
  http_.SetHandler(S3Answer);
  FailingSource body(bytes, broken);
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), UploadSpec{"big"}, body);
  EXPECT_EQ(stored.status(), broken);
  EXPECT_THAT(Lines(http_.requests()), ElementsAre(kCreate, kPart1, kAbort));
}

// The body source verifies the declared SHA-256 and fails its last Read on a mismatch: the
// upload must then never be completed.
TEST_F(S3UpstreamTest, BodyErrorAtTheEndAbortsTheUploadInsteadOfCompletingIt) {
  const std::string bytes = RandomBytes(2 * kPartBytes);
  const absl::Status mismatch = absl::InvalidArgumentError("SHA-256 does not match");
  http_.SetHandler(S3Answer);
  FailingSource body(bytes, mismatch);
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), UploadSpec{"big"}, body);
  EXPECT_EQ(stored.status(), mismatch);
  EXPECT_THAT(Lines(http_.requests()), ElementsAre(kCreate, kPart1, kAbort));
}

TEST_F(S3UpstreamTest, BodyErrorOfASmallUploadSendsNothing) {
  const absl::Status mismatch = absl::InvalidArgumentError("SHA-256 does not match");
  FailingSource body("hello", mismatch);
  EXPECT_EQ(upstream_->Upload(Context(), UploadSpec{"k"}, body).status(), mismatch);
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(S3UpstreamTest, DeclaredSizeThatDiffersFromTheBytesIsInvalidAndSendsNothing) {
  StringByteSource body("hello");
  absl::Status status = upstream_->Upload(Context(), UploadSpec{"k", "", 6}, body).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("declared 6 bytes but sent 5"));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(S3UpstreamTest, DeclaredSizeThatDiffersFromAMultipartBodyAbortsTheUpload) {
  const std::string bytes = RandomBytes(kPartBytes + 10);
  http_.SetHandler(S3Answer);
  StringByteSource body(bytes);
  absl::Status status =
      upstream_->Upload(Context(), UploadSpec{"big", "", kPartBytes + 11}, body).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(Lines(http_.requests()), ElementsAre(kCreate, kPart1, kPart2, kAbort));
}

TEST_F(S3UpstreamTest, ReservedMetadataKeyIsInvalidAndSendsNothing) {
  for (const char* name : {"objgate-sha256", "ObjGate-SHA256"}) {
    StringByteSource body("hello");
    absl::Status status =
        upstream_->Upload(Context(), UploadSpec{"k", "", std::nullopt, "", {{name, "x"}}}, body)
            .status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << name << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr("is reserved"));
  }
  EXPECT_THAT(http_.requests(), IsEmpty());
}

// S3 may fail a completion after its 200; AWS documents treating it like a 500.
TEST_F(S3UpstreamTest, CompletionThatAnswers200WithAnErrorIsRetried) {
  int completions = 0;
  http_.SetHandler([&](const RecordedHttpRequest& request) {
    if (IsComplete(request) && completions++ == 0) {
      return S3ErrorAnswer(200, "InternalError",
                           "We encountered an internal error. Please try again.");
    }
    return S3Answer(request);
  });
  const std::string bytes = RandomBytes(kPartBytes + 10);
  StringByteSource body(bytes);
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), UploadSpec{"big"}, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->etag, kCompletedEtag);
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  EXPECT_THAT(Lines(requests), ElementsAre(kCreate, kPart1, kPart2, kComplete, kComplete));
  ASSERT_THAT(requests, SizeIs(5));
  EXPECT_EQ(requests[3].body, requests[4].body);
  EXPECT_EQ(stats_.retries, 1);
}

// The first completion did complete the upload but its answer was lost; the retry finds no
// upload, and the object's ETag shows it is this upload's.
TEST_F(S3UpstreamTest, CompletionWhoseAnswerWasLostSucceedsWhenTheObjectIsThisUpload) {
  const std::string bytes = RandomBytes(2 * kPartBytes + 1000);
  const std::string etag = MultipartEtag(Parts(bytes));
  int completions = 0;
  http_.SetHandler([&](const RecordedHttpRequest& request) {
    if (IsComplete(request)) {
      return completions++ == 0
                 ? TransportError()
                 : S3ErrorAnswer(404, "NoSuchUpload", "The specified upload does not exist.");
    }
    if (request.method == "HEAD") return Answer(200, "", {{"ETag", Quote(etag)}});
    return S3Answer(request);
  });
  StringByteSource body(bytes);
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), UploadSpec{"big"}, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->etag, etag);
  EXPECT_EQ(stored->size, static_cast<int64_t>(bytes.size()));
  EXPECT_THAT(Lines(http_.requests()),
              ElementsAre(kCreate, kPart1, kPart2, kPart3, kComplete, kComplete, kHead));
}

TEST_F(S3UpstreamTest, CompletionWhoseAnswerWasLostIsNotFoundWhenTheObjectIsAnother) {
  const std::string bytes = RandomBytes(kPartBytes + 10);
  int completions = 0;
  http_.SetHandler([&](const RecordedHttpRequest& request) {
    if (IsComplete(request)) {
      return completions++ == 0
                 ? TransportError()
                 : S3ErrorAnswer(404, "NoSuchUpload", "The specified upload does not exist.");
    }
    if (request.method == "HEAD") {
      return Answer(200, "", {{"ETag", Quote("0123456789abcdef0123456789abcdef-2")}});
    }
    return S3Answer(request);
  });
  StringByteSource body(bytes);
  absl::Status status = upstream_->Upload(Context(), UploadSpec{"big"}, body).status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_THAT(Lines(http_.requests()),
              ElementsAre(kCreate, kPart1, kPart2, kComplete, kComplete, kHead, kAbort));
}

// Ceph RGW (16) answers the completion with an empty <ETag>.
TEST_F(S3UpstreamTest, CompletionWithAnEmptyEtagTakesTheEtagFromAHead) {
  http_.SetHandler([](const RecordedHttpRequest& request) {
    if (IsComplete(request)) return CompleteAnswer("");
    if (request.method == "HEAD") return Answer(200, "", {{"ETag", "\"from-head-2\""}});
    return S3Answer(request);
  });
  const std::string bytes = RandomBytes(kPartBytes + 10);
  StringByteSource body(bytes);
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), UploadSpec{"big"}, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->etag, "from-head-2");
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  EXPECT_THAT(Lines(requests), ElementsAre(kCreate, kPart1, kPart2, kComplete, kHead));
  ASSERT_THAT(requests, SizeIs(5));
  EXPECT_EQ(requests[4].headers.Get("Authorization"), AuthorizationOf(requests[4], Credentials()));
}

// Download.

TEST_F(S3UpstreamTest, RangedDownloadSendsRangeAndQuotedIfMatchAndReadsTheChecksum) {
  const std::string sha256 = Sha256::Hex("0123456789");
  http_.Enqueue(Answer(206, "2345",
                       {{"Content-Range", "bytes 2-5/10"},
                        {"ETag", "\"v1\""},
                        {"Content-Type", "text/plain"},
                        {"x-amz-meta-objgate-sha256", absl::AsciiStrToUpper(sha256)}}));
  RecordingDownloadSink sink;
  ASSERT_TRUE(upstream_->Download(Context(), DownloadSpec{"k", 2, 4, "v1"}, sink).ok());
  ASSERT_THAT(sink.heads, SizeIs(1));
  EXPECT_EQ(sink.heads[0].object_size, 10);
  EXPECT_EQ(sink.heads[0].offset, 2);
  EXPECT_EQ(sink.heads[0].length, 4);
  EXPECT_EQ(sink.heads[0].etag, "v1");
  EXPECT_EQ(sink.heads[0].content_type, "text/plain");
  EXPECT_EQ(sink.heads[0].object_sha256, sha256);
  EXPECT_EQ(sink.data, "2345");
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.headers.Get("Range"), "bytes=2-5");
  EXPECT_EQ(request.headers.Get("If-Match"), "\"v1\"");
  EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()));
  EXPECT_THAT(std::string(request.headers.Get("Authorization").value_or("")),
              HasSubstr("SignedHeaders=host;if-match;range;"));
}

TEST_F(S3UpstreamTest, OpenEndedDownloadAsksToTheEnd) {
  http_.Enqueue(Answer(206, "789", {{"Content-Range", "bytes 7-9/10"}}));
  RecordingDownloadSink sink;
  ASSERT_TRUE(upstream_->Download(Context(), DownloadSpec{"k", 7}, sink).ok());
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.headers.Get("Range"), "bytes=7-");
  EXPECT_EQ(request.headers.Get("If-Match"), std::nullopt);
  EXPECT_EQ(sink.data, "789");
}

TEST_F(S3UpstreamTest, DownloadErrorAnswersMapToTheirCodes) {
  struct Case {
    FakeHttpAnswer answer;
    DownloadSpec spec;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {S3ErrorAnswer(404, "NoSuchKey", "The specified key does not exist."), DownloadSpec{"k"},
       absl::StatusCode::kNotFound,
       "download of \"k\": upstream answered HTTP 404 (object not found) NoSuchKey: The "
       "specified key does not exist."},
      {S3ErrorAnswer(416, "InvalidRange", "The requested range is not satisfiable"),
       DownloadSpec{"k", 99}, absl::StatusCode::kOutOfRange, "InvalidRange"},
      {S3ErrorAnswer(412, "PreconditionFailed", "At least one of the preconditions failed"),
       DownloadSpec{"k", 0, std::nullopt, "old"}, absl::StatusCode::kFailedPrecondition,
       "PreconditionFailed"},
      {Answer(412), DownloadSpec{"k", 0, std::nullopt, "old"},
       absl::StatusCode::kFailedPrecondition, "HTTP 412"},
  };
  for (const Case& c : cases) {
    http_.Enqueue(c.answer);
    RecordingDownloadSink sink;
    absl::Status status = upstream_->Download(Context(), c.spec, sink);
    EXPECT_EQ(status.code(), c.code) << c.message << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
    EXPECT_THAT(sink.heads, IsEmpty());
  }
  EXPECT_THAT(logged_, IsEmpty());
}

// List.

TEST_F(S3UpstreamTest, ListAsksUnderTheTenantsPrefixAndAnswersKeysWithoutIt) {
  http_.Enqueue(ListAnswer({"t1/p/b", "t1/p/c d+e"}, "token/2+="));
  absl::StatusOr<ListPage> page = upstream_->List(Context(), ListQuery{"p/", "p/a", 5000});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), "p/b p/c d+e ");
  EXPECT_EQ(page->entries[0].size, 3);
  EXPECT_EQ(page->entries[0].etag, "e1");
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation, "token/2+=");
  EXPECT_EQ(page->next_start_after, "p/c d+e");
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url,
            "http://store.test:9000/data?list-type=2&encoding-type=url&max-keys=1000"
            "&prefix=t1%2Fp%2F&start-after=t1%2Fp%2Fa");
  EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()));
}

TEST_F(S3UpstreamTest, ListWithAContinuationSendsItInsteadOfStartAfter) {
  http_.Enqueue(ListAnswer({"t1/p/x"}));
  absl::StatusOr<ListPage> page =
      upstream_->List(Context(), ListQuery{"p/", "p/c d+e", 2, "token/2+="});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), "p/x ");
  EXPECT_FALSE(page->is_truncated);
  EXPECT_EQ(page->next_continuation, "");
  EXPECT_EQ(page->next_start_after, "");
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.url,
            "http://store.test:9000/data?list-type=2&encoding-type=url&max-keys=2"
            "&prefix=t1%2Fp%2F&continuation-token=token%2F2%2B%3D");
  EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()));
}

TEST_F(S3UpstreamTest, ListWithADelimiterAnswersCommonPrefixesWithoutTheTenantsPrefix) {
  http_.Enqueue(XmlAnswer(
      200,
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>data</Name><Prefix>t1/</Prefix><KeyCount>3</KeyCount><MaxKeys>2</MaxKeys>"
      "<Delimiter>/</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>next</NextContinuationToken>"
      "<Contents><Key>t1/a.txt</Key><LastModified>2026-11-28T03:00:00.000Z</LastModified>"
      "<ETag>&quot;e1&quot;</ETag><Size>1</Size></Contents>"
      "<CommonPrefixes><Prefix>t1/docs/</Prefix></CommonPrefixes>"
      "<CommonPrefixes><Prefix>t1/photos%20old/</Prefix></CommonPrefixes>"
      "</ListBucketResult>"));
  ListQuery query{"", "", 2};
  query.delimiter = "/";
  absl::StatusOr<ListPage> page = upstream_->List(Context(), query);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), "a.txt ");
  EXPECT_THAT(page->common_prefixes, ElementsAre("docs/", "photos old/"));
  EXPECT_EQ(page->next_start_after, "photos old/");
  EXPECT_EQ(page->next_continuation, "next");
  EXPECT_THAT(OnlyRequest().url, HasSubstr("&delimiter=%2F"));
}

TEST_F(S3UpstreamTest, ListFromAFolderDoesNotRepeatIt) {
  // S3 reports the group a start_after names again; it was the last page's last item.
  http_.Enqueue(
      XmlAnswer(200,
                "<ListBucketResult><IsTruncated>false</IsTruncated>"
                "<CommonPrefixes><Prefix>t1/docs/</Prefix></CommonPrefixes>"
                "<CommonPrefixes><Prefix>t1/e/</Prefix></CommonPrefixes></ListBucketResult>"));
  ListQuery query{"", "docs/", 10};
  query.delimiter = "/";
  absl::StatusOr<ListPage> page = upstream_->List(Context(), query);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->common_prefixes, ElementsAre("e/"));
}

TEST_F(S3UpstreamTest, ListOfAnotherTenantsKeyIsInternal) {
  http_.Enqueue(ListAnswer({"t1/a", "t2/b"}));
  absl::Status status = upstream_->List(Context(), ListQuery{}).status();
  EXPECT_TRUE(absl::IsInternal(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("outside the prefix"));
}

// The store must only list keys under the prefix asked for; one that does not is
// misbehaving, and its keys must not reach the caller as if they matched.
TEST_F(S3UpstreamTest, ListOfAKeyOutsideTheQueriedPrefixIsInternal) {
  http_.Enqueue(ListAnswer({"t1/p/a", "t1/q/b"}));
  absl::StatusOr<ListPage> page = upstream_->List(Context(), ListQuery{"p/"});
  EXPECT_TRUE(absl::IsInternal(page.status()))
      << "got " << (page.ok() ? absl::StrCat("keys ", Keys(*page)) : page.status().ToString());
}

// Delete.

TEST_F(S3UpstreamTest, DeleteReadsTheFirstByteThenDeletes) {
  http_.Enqueue(Answer(206, "a", {{"ETag", "\"v1\""}, {"Content-Range", "bytes 0-0/3"}}));
  http_.Enqueue(Answer(204));
  ASSERT_TRUE(upstream_->Delete(Context(), {"d/k"}).ok());
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  EXPECT_THAT(Lines(requests), ElementsAre("GET /data/t1/d/k", "DELETE /data/t1/d/k"));
  EXPECT_EQ(requests[0].headers.Get("Range"), "bytes=0-0");
  EXPECT_EQ(requests[1].headers.Get("Range"), std::nullopt);
  for (const RecordedHttpRequest& request : requests) {
    EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()));
  }
}

TEST_F(S3UpstreamTest, DeleteOfAnEmptyObjectDeletesIt) {
  http_.Enqueue(S3ErrorAnswer(416, "InvalidRange"));
  http_.Enqueue(Answer(204));
  ASSERT_TRUE(upstream_->Delete(Context(), {"empty"}).ok());
  EXPECT_THAT(Lines(http_.requests()), ElementsAre("GET /data/t1/empty", "DELETE /data/t1/empty"));
}

TEST_F(S3UpstreamTest, DeleteOfAMissingKeyIsNotFoundAndDeletesNothing) {
  http_.Enqueue(S3ErrorAnswer(404, "NoSuchKey"));
  absl::Status status = upstream_->Delete(Context(), {"k"});
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_THAT(Lines(http_.requests()), ElementsAre("GET /data/t1/k"));
}

TEST_F(S3UpstreamTest, DeleteInAMissingBucketSaysSo) {
  http_.Enqueue(S3ErrorAnswer(404, "NoSuchBucket"));
  absl::Status status = upstream_->Delete(Context(), {"k"});
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("create bucket \"data\""));
}

// Errors.

TEST_F(S3UpstreamTest, MisconfigurationSaysWhatToFixAndIsLogged) {
  struct Case {
    int http_status;
    std::string code;
    std::string fix;
  };
  const std::vector<Case> cases = {
      {404, "NoSuchBucket", "create bucket \"data\""},
      {403, "InvalidAccessKeyId", "access key \"AKIDEXAMPLE\": check AWS_ACCESS_KEY_ID"},
      {403, "SignatureDoesNotMatch", "check AWS_SECRET_ACCESS_KEY"},
      {403, "AccessDenied", "access key \"AKIDEXAMPLE\" may not use bucket \"data\""},
      {403, "RequestTimeTooSkewed", "synchronise it (NTP)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    http_.Enqueue(S3ErrorAnswer(c.http_status, c.code));
    const size_t logged_before = logged_.size();
    absl::Status status = upstream_->List(Context(), ListQuery{}).status();
    EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
    EXPECT_FALSE(IsRetryable(status));
    EXPECT_THAT(status.message(), HasSubstr(c.code));
    EXPECT_THAT(status.message(), HasSubstr("the gateway is misconfigured"));
    EXPECT_THAT(status.message(), HasSubstr(c.fix));
    EXPECT_THAT(status.message(), Not(HasSubstr(kSecretAccessKey)));
    ASSERT_EQ(logged_.size(), logged_before + 1);
    EXPECT_EQ(logged_.back(), status.message());
    EXPECT_THAT(logged_.back(), Not(HasSubstr(kSecretAccessKey)));
  }
}

TEST_F(S3UpstreamTest, MisconfigurationIsLoggedAtMostOnceAMinutePerCode) {
  auto list_fails_with = [&](absl::string_view code) {
    http_.Enqueue(S3ErrorAnswer(403, code));
    EXPECT_TRUE(absl::IsFailedPrecondition(upstream_->List(Context(), ListQuery{}).status()));
  };
  list_fails_with("AccessDenied");
  EXPECT_THAT(logged_, SizeIs(1));
  clock_.Advance(absl::Seconds(30));
  list_fails_with("AccessDenied");
  EXPECT_THAT(logged_, SizeIs(1));
  list_fails_with("SignatureDoesNotMatch");
  EXPECT_THAT(logged_, SizeIs(2));
  clock_.Advance(absl::Seconds(29));
  list_fails_with("AccessDenied");
  EXPECT_THAT(logged_, SizeIs(2));
  clock_.Advance(absl::Seconds(1));
  list_fails_with("AccessDenied");
  EXPECT_THAT(logged_, SizeIs(3));
}

TEST_F(S3UpstreamTest, ErrorsOtherThanMisconfigurationAreNotLogged) {
  http_.Enqueue(S3ErrorAnswer(503, "SlowDown", "Please reduce your request rate."));
  absl::Status status = upstream_->List(Context(), ListQuery{}).status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(status.message(), Not(HasSubstr("misconfigured")));
  EXPECT_THAT(logged_, IsEmpty());
}

// Server info and health.

TEST_F(S3UpstreamTest, ServerInfoComesFromASignedProbeOfTheBucket) {
  FakeHttpAnswer answer = ListAnswer({});
  answer.headers.Add("Server", "Ceph Object Gateway (reef)");
  http_.Enqueue(answer);
  absl::StatusOr<UpstreamServerInfo> info = upstream_->GetServerInfo(Context());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->dialect, "s3");
  EXPECT_EQ(info->status, "ok");
  EXPECT_EQ(info->version, "Ceph Object Gateway (reef)");
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://store.test:9000/data?list-type=2&max-keys=0");
  EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()));
}

TEST_F(S3UpstreamTest, ReadinessListsNoKeysOfTheBucket) {
  http_.Enqueue(ListAnswer({}));
  EXPECT_TRUE(upstream_->CheckReady(Context()).ok());
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://store.test:9000/data?list-type=2&max-keys=0");
  EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()));

  http_.Enqueue(S3ErrorAnswer(404, "NoSuchBucket", "The specified bucket does not exist"));
  absl::Status status = upstream_->CheckReady(Context());
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("access to bucket \"data\""));
}

TEST_F(S3UpstreamTest, ReadinessWithABucketTemplateListsTheBuckets) {
  S3UpstreamOptions options = Options();
  options.bucket = "objgate-{tenant}";
  std::unique_ptr<S3Upstream> upstream = MakeUpstream(std::move(options));
  http_.Enqueue(XmlAnswer(200, "<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>"));
  EXPECT_TRUE(upstream->CheckReady(Context()).ok());
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://store.test:9000/");
  EXPECT_EQ(request.headers.Get("Authorization"), AuthorizationOf(request, Credentials()));
}

TEST_F(S3UpstreamTest, LivenessIsAnUnsignedGetAnsweredBelow500) {
  for (int http_status : {200, 403, 404}) {
    http_.Enqueue(S3ErrorAnswer(http_status, "AccessDenied"));
    EXPECT_TRUE(upstream_->CheckLive(Context()).ok()) << http_status;
    const RecordedHttpRequest request = LastRequest();
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.url, "http://store.test:9000/");
    EXPECT_EQ(request.headers.Get("Authorization"), std::nullopt);
    EXPECT_EQ(request.headers.Get("X-Amz-Date"), std::nullopt);
  }
  http_.Enqueue(Answer(503, "<html>down</html>", {{"Content-Type", "text/html"}}));
  absl::Status down = upstream_->CheckLive(Context());
  EXPECT_TRUE(absl::IsUnavailable(down)) << down;
  EXPECT_THAT(logged_, IsEmpty());
}

// Bucket template.

TEST_F(S3UpstreamTest, BucketTemplateGivesEachTenantABucketWithoutKeyPrefix) {
  S3UpstreamOptions options = Options();
  options.bucket = "objgate-{tenant}";
  std::unique_ptr<S3Upstream> upstream = MakeUpstream(std::move(options));
  absl::StatusOr<S3Upstream::Location> location = upstream->Locate("t1", "a/k");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(location->bucket, "objgate-t1");
  EXPECT_EQ(location->key, "a/k");

  http_.SetHandler(S3Answer);
  StringByteSource body("hello");
  ASSERT_TRUE(upstream->Upload(Context(), UploadSpec{"a/k"}, body).ok());
  http_.SetHandler(nullptr);
  http_.Enqueue(ListAnswer({"p/b"}));
  absl::StatusOr<ListPage> page = upstream->List(Context(), ListQuery{"p/", "p/a", 10});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), "p/b ");
  EXPECT_THAT(Lines(http_.requests()),
              ElementsAre("PUT /objgate-t1/a/k",
                          "GET /objgate-t1?list-type=2&encoding-type=url&max-keys=10"
                          "&prefix=p%2F&start-after=p%2Fa"));
}

TEST_F(S3UpstreamTest, TenantThatCannotNameABucketIsInvalidAndSendsNothing) {
  S3UpstreamOptions options = Options();
  options.bucket = "objgate-{tenant}";
  std::unique_ptr<S3Upstream> upstream = MakeUpstream(std::move(options));
  absl::Status located = upstream->Locate("Upper", "k").status();
  EXPECT_TRUE(absl::IsInvalidArgument(located)) << located;
  EXPECT_THAT(located.message(), HasSubstr("use lowercase tenant ids"));

  StringByteSource body("hello");
  EXPECT_TRUE(
      absl::IsInvalidArgument(upstream->Upload(Context("Upper"), UploadSpec{"k"}, body).status()));
  RecordingDownloadSink sink;
  EXPECT_TRUE(
      absl::IsInvalidArgument(upstream->Download(Context("Upper"), DownloadSpec{"k"}, sink)));
  EXPECT_TRUE(absl::IsInvalidArgument(upstream->List(Context("Upper"), ListQuery{}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(upstream->Delete(Context("Upper"), {"k"})));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(S3UpstreamTest, SharedBucketPutsEachTenantUnderItsPrefix) {
  absl::StatusOr<S3Upstream::Location> location = upstream_->Locate("t1", "a/k");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(location->bucket, "data");
  EXPECT_EQ(location->key, "t1/a/k");
  EXPECT_TRUE(absl::IsInvalidArgument(upstream_->Locate("", "k").status()));
}

TEST(ValidateS3UpstreamOptionsTest, NamesTheOptionThatIsNotValid) {
  struct Case {
    std::string endpoint;
    std::string bucket;
    int64_t part_bytes;
    std::string message;  // empty for valid options
  };
  const std::vector<Case> cases = {
      {"http://store:9000", "data", kMinS3PartBytes, ""},
      {"https://s3.amazonaws.com/", "my.bucket-1", kMaxS3PartBytes, ""},
      {"http://store:9000", "objgate-{tenant}", kMinS3PartBytes, ""},
      {"ftp://store", "data", kMinS3PartBytes, "upstream"},
      {"store:9000", "data", kMinS3PartBytes, "upstream"},
      {"http://store:9000/path", "data", kMinS3PartBytes, "without a path"},
      {"http://store:9000", "", kMinS3PartBytes, "s3_bucket is required"},
      {"http://store:9000", "Data", kMinS3PartBytes, "not a valid bucket name"},
      {"http://store:9000", "ab", kMinS3PartBytes, "not a valid bucket name"},
      {"http://store:9000", "data_1", kMinS3PartBytes, "not a valid bucket name"},
      {"http://store:9000", "-data", kMinS3PartBytes, "not a valid bucket name"},
      {"http://store:9000", "{tenant}", kMinS3PartBytes, "with {tenant} replaced"},
      {"http://store:9000", "data", kMinS3PartBytes - 1, "s3_part_bytes"},
      {"http://store:9000", "data", kMaxS3PartBytes + 1, "s3_part_bytes"},
  };
  for (const Case& c : cases) {
    S3UpstreamOptions options;
    options.endpoint = c.endpoint;
    options.bucket = c.bucket;
    options.part_bytes = c.part_bytes;
    absl::Status status = ValidateS3UpstreamOptions(options);
    if (c.message.empty()) {
      EXPECT_TRUE(status.ok()) << c.endpoint << " " << c.bucket << ": " << status;
      continue;
    }
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << c.endpoint << " " << c.bucket << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr(c.message));

    FakeHttpClient http;
    FakeClock clock;
    std::unique_ptr<AwsCredentialsProvider> credentials = MakeCredentials();
    EXPECT_EQ(S3Upstream::Create(http, *credentials, *BackoffPolicy::Create(RetryOptions{}), clock,
                                 options)
                  .status(),
              status);
  }
}

}  // namespace
}  // namespace objgate

namespace objgate {
namespace {

// Conditional writes.

TEST_F(S3UpstreamTest, ConditionalPutObjectSendsTheConditionsWithTheWrite) {
  http_.SetHandler(S3Answer);
  UploadSpec create{"k"};
  create.if_none_match = "*";
  StringByteSource body("hello");
  ASSERT_TRUE(upstream_->Upload(Context(), create, body).ok());
  EXPECT_EQ(OnlyRequest().headers.Get("If-None-Match"), "*");

  UploadSpec replace{"k"};
  replace.if_match = "v1";
  StringByteSource again("hello");
  ASSERT_TRUE(upstream_->Upload(Context(), replace, again).ok());
  // Bare: Ceph RGW 16 compares the header with the unquoted ETag.
  EXPECT_EQ(LastRequest().headers.Get("If-Match"), "v1");
  EXPECT_EQ(LastRequest().headers.Get("Authorization"),
            AuthorizationOf(LastRequest(), Credentials()));
}

TEST_F(S3UpstreamTest, ConditionalPutObjectRefusedIsFailedPrecondition) {
  http_.Enqueue(S3ErrorAnswer(412, "PreconditionFailed"));
  UploadSpec create{"k"};
  create.if_none_match = "*";
  StringByteSource body("hello");
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), create, body);
  EXPECT_TRUE(absl::IsFailedPrecondition(stored.status())) << stored.status();
  EXPECT_THAT(http_.requests(), SizeIs(1));
}

TEST_F(S3UpstreamTest, ConditionalPutObjectRefusedOnARepeatSucceedsWhenItsBytesAreStored) {
  http_.Enqueue(TransportError());  // the answer to a write that happened was lost
  http_.Enqueue(S3ErrorAnswer(412, "PreconditionFailed"));
  http_.Enqueue(Answer(
      200, "",
      {{"ETag", Quote(Md5Hex("hello"))}, {"x-amz-meta-objgate-sha256", Sha256::Hex("hello")}}));
  UploadSpec create{"k"};
  create.if_none_match = "*";
  StringByteSource body("hello");
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), create, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->etag, Md5Hex("hello"));
  EXPECT_THAT(Lines(http_.requests()),
              ElementsAre("PUT /data/t1/k", "PUT /data/t1/k", "HEAD /data/t1/k"));
}

TEST_F(S3UpstreamTest, ConditionalPutObjectRefusedOnARepeatStaysRefusedForOtherBytes) {
  http_.Enqueue(TransportError());
  http_.Enqueue(S3ErrorAnswer(412, "PreconditionFailed"));
  http_.Enqueue(Answer(
      200, "",
      {{"ETag", Quote(Md5Hex("other"))}, {"x-amz-meta-objgate-sha256", Sha256::Hex("other")}}));
  UploadSpec create{"k"};
  create.if_none_match = "*";
  StringByteSource body("hello");
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), create, body);
  EXPECT_TRUE(absl::IsFailedPrecondition(stored.status())) << stored.status();
}

TEST_F(S3UpstreamTest, ConditionalUploadLargerThanAPartIsRefusedBeforeAnyRequest) {
  http_.SetHandler(S3Answer);
  const std::string bytes = RandomBytes(kPartBytes + 1);
  UploadSpec declared{"big", "", static_cast<int64_t>(bytes.size())};
  declared.if_none_match = "*";
  StringByteSource body(bytes);
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), declared, body);
  EXPECT_TRUE(absl::IsUnimplemented(stored.status())) << stored.status();
  EXPECT_THAT(stored.status().message(), HasSubstr("--s3_store_conditions=all"));

  UploadSpec unsized{"big"};
  unsized.if_match = "v1";
  StringByteSource unsized_body(bytes);
  stored = upstream_->Upload(Context(), unsized, unsized_body);
  EXPECT_TRUE(absl::IsUnimplemented(stored.status())) << stored.status();
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(S3UpstreamTest, WithAllConditionsAMultipartCompletionCarriesTheCondition) {
  S3UpstreamOptions options = Options();
  options.store_enforces_all_conditions = true;
  upstream_ = MakeUpstream(options);
  http_.SetHandler(S3Answer);
  const std::string bytes = RandomBytes(kPartBytes + 1);
  UploadSpec spec{"big"};
  spec.if_none_match = "*";
  StringByteSource body(bytes);
  ASSERT_TRUE(upstream_->Upload(Context(), spec, body).ok());
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  EXPECT_THAT(Lines(requests), ElementsAre(kCreate, kPart1, kPart2, kComplete));
  EXPECT_EQ(requests[0].headers.Get("If-None-Match"), std::nullopt);
  EXPECT_EQ(requests[3].headers.Get("If-None-Match"), "*");
}

TEST_F(S3UpstreamTest, ConditionalDeleteIsRefusedUnlessTheStoreEnforcesIt) {
  absl::Status status = upstream_->Delete(Context(), {"k", "v1"});
  EXPECT_TRUE(absl::IsUnimplemented(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("--s3_store_conditions=all"));
  EXPECT_THAT(http_.requests(), IsEmpty());
}

TEST_F(S3UpstreamTest, WithAllConditionsADeleteCarriesIfMatchOnTheDeleteItself) {
  S3UpstreamOptions options = Options();
  options.store_enforces_all_conditions = true;
  upstream_ = MakeUpstream(options);
  http_.Enqueue(Answer(206, "a", {{"ETag", "\"v1\""}, {"Content-Range", "bytes 0-0/3"}}));
  http_.Enqueue(Answer(204));
  ASSERT_TRUE(upstream_->Delete(Context(), {"k", "v1"}).ok());
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  EXPECT_THAT(Lines(requests), ElementsAre("GET /data/t1/k", "DELETE /data/t1/k"));
  EXPECT_EQ(requests[0].headers.Get("If-Match"), "\"v1\"");
  EXPECT_EQ(requests[1].headers.Get("If-Match"), "v1");

  http_.Enqueue(S3ErrorAnswer(412, "PreconditionFailed"));
  absl::Status status = upstream_->Delete(Context(), {"k", "v0"});
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
}

TEST_F(S3UpstreamTest, CapabilitiesFollowWhatTheStoreEnforces) {
  http_.Enqueue(ListAnswer({}));
  absl::StatusOr<UpstreamServerInfo> info = upstream_->GetServerInfo(Context());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->capabilities, ElementsAre("stat", "user_metadata", "delimiter", "copy",
                                              "conditional_upload", "resumable_upload"));
  S3UpstreamOptions options = Options();
  options.store_enforces_all_conditions = true;
  upstream_ = MakeUpstream(options);
  http_.Enqueue(ListAnswer({}));
  info = upstream_->GetServerInfo(Context());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->capabilities,
              ElementsAre("stat", "user_metadata", "delimiter", "copy", "conditional_upload",
                          "resumable_upload", "conditional_delete"));
}

// Copy.

FakeHttpAnswer CopyAnswer(absl::string_view etag) {
  return XmlAnswer(200, absl::StrCat("<CopyObjectResult><LastModified>2024-05-01T12:00:00.000Z"
                                     "</LastModified><ETag>&quot;",
                                     etag, "&quot;</ETag></CopyObjectResult>"));
}

FakeHttpAnswer FirstByteAnswer(absl::string_view etag, int64_t size, absl::string_view sha256) {
  return Answer(206, "a",
                {{"ETag", Quote(etag)},
                 {"Content-Range", absl::StrCat("bytes 0-0/", size)},
                 {"Content-Type", "text/plain"},
                 {"x-amz-meta-objgate-sha256", std::string(sha256)}});
}

TEST_F(S3UpstreamTest, CopyIsOneCopyObjectOfTheVersionJustRead) {
  const std::string sha256 = Sha256::Hex("abc");
  http_.Enqueue(FirstByteAnswer("v1", 3, sha256));
  http_.Enqueue(CopyAnswer("v1"));
  absl::StatusOr<StoredObject> copied = upstream_->Copy(Context(), {"a b/src", "dst", ""});
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(copied->key, "dst");
  EXPECT_EQ(copied->size, 3);
  EXPECT_EQ(copied->etag, "v1");
  EXPECT_EQ(copied->sha256, sha256);

  const std::vector<RecordedHttpRequest> requests = http_.requests();
  EXPECT_THAT(Lines(requests), ElementsAre("GET /data/t1/a%20b/src", "PUT /data/t1/dst"));
  const RecordedHttpRequest& copy = requests[1];
  EXPECT_EQ(copy.headers.Get("x-amz-copy-source"), "/data/t1/a%20b/src");
  EXPECT_EQ(copy.headers.Get("x-amz-metadata-directive"), "COPY");
  EXPECT_EQ(copy.headers.Get("x-amz-copy-source-if-match"), "\"v1\"");
  EXPECT_EQ(copy.body, "");
  EXPECT_EQ(copy.headers.Get("Authorization"), AuthorizationOf(copy, Credentials()));
}

TEST_F(S3UpstreamTest, CopyOfAMissingSourceIsNotFoundAndCopiesNothing) {
  http_.Enqueue(S3ErrorAnswer(404, "NoSuchKey"));
  absl::StatusOr<StoredObject> copied = upstream_->Copy(Context(), {"src", "dst", ""});
  EXPECT_TRUE(absl::IsNotFound(copied.status())) << copied.status();
  EXPECT_THAT(http_.requests(), SizeIs(1));
}

TEST_F(S3UpstreamTest, CopyThatFailsAfterIts200IsRetried) {
  http_.Enqueue(FirstByteAnswer("v1", 3, ""));
  http_.Enqueue(XmlAnswer(200, "<Error><Code>InternalError</Code><Message>m</Message></Error>"));
  http_.Enqueue(FirstByteAnswer("v1", 3, ""));
  http_.Enqueue(CopyAnswer("v1"));
  // Retryable, and retried by the layer that retries whole calls.
  RetryingUpstream retrying(*upstream_, retry_, clock_, 0);
  absl::StatusOr<StoredObject> copied = retrying.Copy(Context(), {"src", "dst", ""});
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_THAT(Lines(http_.requests()), ElementsAre("GET /data/t1/src", "PUT /data/t1/dst",
                                                   "GET /data/t1/src", "PUT /data/t1/dst"));
}

TEST_F(S3UpstreamTest, CopyWithASourceEtagTheStoreWouldIgnoreIsStreamedPinnedToIt) {
  http_.SetHandler([](const RecordedHttpRequest& request) {
    if (request.method == "GET") {
      if (request.headers.Get("If-Match") != "\"v1\"")
        return S3ErrorAnswer(412, "PreconditionFailed");
      return Answer(206, "abc", {{"ETag", "\"v1\""}, {"Content-Range", "bytes 0-2/3"}});
    }
    return S3Answer(request);
  });
  absl::StatusOr<StoredObject> copied = upstream_->Copy(Context(), {"src", "dst", "v1"});
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(copied->sha256, Sha256::Hex("abc"));
  EXPECT_THAT(Lines(http_.requests()), ElementsAre("GET /data/t1/src", "PUT /data/t1/dst"));
  EXPECT_EQ(http_.requests()[1].body, "abc");
  EXPECT_EQ(http_.requests()[1].headers.Get("x-amz-copy-source"), std::nullopt);

  absl::StatusOr<StoredObject> refused = upstream_->Copy(Context(), {"src", "dst", "v0"});
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
}

TEST_F(S3UpstreamTest, CopyOfASourceLargerThanCopyObjectTakesIsStreamed) {
  S3UpstreamOptions options = Options();
  options.max_copy_object_bytes = 2;
  upstream_ = MakeUpstream(options);
  http_.SetHandler([](const RecordedHttpRequest& request) {
    if (request.method == "GET") {
      if (request.headers.Get("Range") == "bytes=0-0") {
        return Answer(206, "a", {{"ETag", "\"v1\""}, {"Content-Range", "bytes 0-0/3"}});
      }
      return Answer(206, "abc", {{"ETag", "\"v1\""}, {"Content-Range", "bytes 0-2/3"}});
    }
    return S3Answer(request);
  });
  absl::StatusOr<StoredObject> copied = upstream_->Copy(Context(), {"src", "dst", ""});
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_THAT(Lines(http_.requests()),
              ElementsAre("GET /data/t1/src", "GET /data/t1/src", "PUT /data/t1/dst"));
  EXPECT_EQ(http_.requests()[2].body, "abc");
}

}  // namespace
}  // namespace objgate
