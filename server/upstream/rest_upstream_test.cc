// RestUpstream against the shared FakeHttpClient: every request it builds, and every answer
// it reads, well-formed or not, without a server.
#include "server/upstream/rest_upstream.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/testing/fake_http_client.h"
#include "server/upstream/testing/fake_upstream.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using ::testing::SizeIs;

constexpr char kBase[] = "http://store.test:9000";

FakeHttpAnswer Answer(int status, std::string body = "", HttpHeaders headers = {}) {
  FakeHttpAnswer answer;
  answer.status = status;
  answer.body = std::move(body);
  answer.headers = std::move(headers);
  return answer;
}

std::string Keys(const ListPage& page) {
  std::string keys;
  for (const ObjectEntry& entry : page.entries) absl::StrAppend(&keys, entry.key, " ");
  return keys;
}

class RestUpstreamTest : public ::testing::Test {
 protected:
  RestUpstreamTest() : upstream_(*RestUpstream::Create(http_, absl::StrCat(kBase, "/"))) {}

  CallContext Context() {
    CallContext context;
    context.tenant_id = "t1";
    context.request_id = "req-1";
    context.stats = &stats_;
    return context;
  }
  RecordedHttpRequest OnlyRequest() {
    std::vector<RecordedHttpRequest> requests = http_.requests();
    EXPECT_THAT(requests, SizeIs(1));
    return requests.empty() ? RecordedHttpRequest() : requests[0];
  }

  FakeHttpClient http_;
  std::unique_ptr<RestUpstream> upstream_;
  CallStats stats_;
};

TEST(RestUpstreamCreateTest, RefusesUrlsThatAreNotHttp) {
  FakeHttpClient http;
  EXPECT_TRUE(absl::IsInvalidArgument(RestUpstream::Create(http, "ftp://store").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(RestUpstream::Create(http, "store:9000").status()));
  EXPECT_TRUE(RestUpstream::Create(http, "https://store/base//").ok());
}

TEST_F(RestUpstreamTest, EveryRequestCarriesTenantRequestIdDeadlineAndCancellation) {
  http_.Enqueue(JsonAnswer(200, R"({"status":"ok","version":"3","performance":"1x"})"));
  ASSERT_TRUE(upstream_->GetServerInfo(Context()).ok());
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://store.test:9000/");
  EXPECT_EQ(request.headers.Get("X-Tenant-ID"), "t1");
  EXPECT_EQ(request.headers.Get("X-Request-Id"), "req-1");
}

TEST_F(RestUpstreamTest, ServerInfoIsParsed) {
  http_.Enqueue(JsonAnswer(200, R"({"status":"ok","version":"3.0.0","performance":"100x"})"));
  absl::StatusOr<UpstreamServerInfo> info = upstream_->GetServerInfo(Context());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->status, "ok");
  EXPECT_EQ(info->version, "3.0.0");
  EXPECT_EQ(info->performance, "100x");
}

TEST_F(RestUpstreamTest, MalformedServerInfoIsInternal) {
  for (const char* body : {"", "not json", "[]", R"({"status": 7})", R"({"version":"3"})"}) {
    http_.Enqueue(JsonAnswer(200, body));
    EXPECT_TRUE(absl::IsInternal(upstream_->GetServerInfo(Context()).status())) << body;
  }
}

TEST_F(RestUpstreamTest, UploadSendsKeyTypeChecksumMetadataAndTheBody) {
  http_.Enqueue(JsonAnswer(200, R"({"status":"uploaded","key":"a b/c","size":5})"));
  UploadSpec spec{"a b/c", "text/plain", 5, "ab12", {{"owner", "me"}}};
  StringByteSource body("hello");
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), spec, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->key, "a b/c");
  EXPECT_EQ(stored->size, 5);
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.url, "http://store.test:9000/upload?key=a%20b%2Fc");
  EXPECT_EQ(request.headers.Get("Content-Type"), "text/plain");
  EXPECT_EQ(request.headers.Get("X-Checksum-SHA256"), "ab12");
  EXPECT_EQ(request.headers.Get("X-Meta-owner"), "me");
  EXPECT_EQ(request.body, "hello");
  EXPECT_EQ(request.body_size, 5);
}

TEST_F(RestUpstreamTest, UploadOfUnknownSizeIsChunkedWithDefaultType) {
  http_.Enqueue(Answer(204));
  StringByteSource body("streamed");
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), UploadSpec{"k"}, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  // An empty 204 reports what was sent.
  EXPECT_EQ(stored->size, 8);
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.body_size, std::nullopt);
  EXPECT_EQ(request.headers.Get("Content-Type"), "application/octet-stream");
  EXPECT_EQ(request.headers.Get("X-Checksum-SHA256"), std::nullopt);
}

TEST_F(RestUpstreamTest, UploadTakesTheEtagFromTheHeaderWhenTheBodyHasNone) {
  http_.Enqueue(Answer(201, "", {{"ETag", "W/\"v7\""}}));
  StringByteSource body("x");
  EXPECT_EQ(upstream_->Upload(Context(), UploadSpec{"k"}, body)->etag, "v7");
}

TEST_F(RestUpstreamTest, UploadAnswersThatDoNotCheckOut) {
  struct Case {
    FakeHttpAnswer answer;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {JsonAnswer(200, R"({"key":"k","size":4})"), absl::StatusCode::kDataLoss,
       "stored 4 bytes of 5 sent"},
      {JsonAnswer(200, R"({"key":"other","size":5})"), absl::StatusCode::kInternal,
       "names another key"},
      {JsonAnswer(200, "{"), absl::StatusCode::kInternal, "not a JSON object"},
      {JsonAnswer(403, R"({"error":"Quota exceeded"})"), absl::StatusCode::kResourceExhausted,
       "upload of \"k\": upstream answered HTTP 403 (tenant quota exceeded): Quota exceeded"},
      {JsonAnswer(413, R"({"error":"Object too large"})"), absl::StatusCode::kResourceExhausted,
       "HTTP 413"},
  };
  for (const Case& c : cases) {
    http_.Enqueue(c.answer);
    StringByteSource body("hello");
    absl::Status status = upstream_->Upload(Context(), UploadSpec{"k"}, body).status();
    EXPECT_EQ(status.code(), c.code) << c.answer.body;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
}

TEST_F(RestUpstreamTest, UploadBodyErrorAbortsTheRequest) {
  // A source that fails, as the service's stream does when the caller breaks off.
  class FailingSource : public ByteSource {
   public:
    absl::StatusOr<size_t> Read(absl::Span<char>) override {
      return absl::InvalidArgumentError("the stream ended without finish_write");
    }
  } body;
  http_.Enqueue(Answer(200));
  absl::Status status = upstream_->Upload(Context(), UploadSpec{"k"}, body).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
}

TEST_F(RestUpstreamTest, RetryableAnswersCarryRetryAfter) {
  http_.Enqueue(Answer(503, "busy", {{"Retry-After", "7"}, {"Content-Type", "text/plain"}}));
  absl::Status status = upstream_->GetServerInfo(Context()).status();
  EXPECT_TRUE(absl::IsUnavailable(status));
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_THAT(RetryAfter(status), Optional(absl::Seconds(7)));
  EXPECT_THAT(status.message(), HasSubstr("HTTP 503 (upstream failure): busy"));
}

TEST_F(RestUpstreamTest, HtmlErrorPagesBecomeOneShortLine) {
  const std::string nginx_404 =
      "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not "
      "Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
  http_.Enqueue(Answer(404, nginx_404, {{"Content-Type", "text/html"}}));
  RecordingDownloadSink sink;
  absl::Status status = upstream_->Download(Context(), DownloadSpec{"k"}, sink);
  EXPECT_TRUE(absl::IsNotFound(status));
  EXPECT_EQ(status.message(), "download of \"k\": upstream answered HTTP 404 (not found)");

  http_.Enqueue(Answer(416, "<html><body>416 Requested Range Not Satisfiable</body></html>",
                       {{"Content-Type", "text/html; charset=utf-8"}}));
  status = upstream_->Download(Context(), DownloadSpec{"k", 99}, sink);
  EXPECT_TRUE(absl::IsOutOfRange(status));
  EXPECT_EQ(status.message(),
            "download of \"k\": upstream answered HTTP 416 (range not satisfiable)");
}

TEST_F(RestUpstreamTest, DownloadOfAWholeObjectReadsTheHeadersAndStreamsTheBody) {
  FakeHttpAnswer answer = Answer(200, "0123456789",
                                 {{"Content-Length", "10"},
                                  {"ETag", "\"v1\""},
                                  {"Content-Type", "text/plain"},
                                  {"X-Checksum-SHA256", " " + std::string(64, 'A') + " "}});
  answer.piece_bytes = {3};
  http_.Enqueue(answer);
  RecordingDownloadSink sink;
  ASSERT_TRUE(upstream_->Download(Context(), DownloadSpec{"k"}, sink).ok());
  ASSERT_THAT(sink.heads, SizeIs(1));
  EXPECT_EQ(sink.heads[0].object_size, 10);
  EXPECT_EQ(sink.heads[0].offset, 0);
  EXPECT_EQ(sink.heads[0].length, 10);
  EXPECT_EQ(sink.heads[0].etag, "v1");
  EXPECT_EQ(sink.heads[0].content_type, "text/plain");
  EXPECT_EQ(sink.heads[0].object_sha256, std::string(64, 'a'));
  EXPECT_EQ(sink.data, "0123456789");
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.url, "http://store.test:9000/download?key=k");
  EXPECT_EQ(request.headers.Get("Range"), std::nullopt);
  EXPECT_EQ(request.headers.Get("If-Match"), std::nullopt);
}

TEST_F(RestUpstreamTest, RangedDownloadSendsRangeAndIfMatchAndReadsContentRange) {
  http_.Enqueue(Answer(206, "2345", {{"Content-Range", "bytes 2-5/10"}, {"ETag", "\"v1\""}}));
  RecordingDownloadSink sink;
  ASSERT_TRUE(upstream_->Download(Context(), DownloadSpec{"k", 2, 4, "v1"}, sink).ok());
  EXPECT_EQ(sink.heads[0].object_size, 10);
  EXPECT_EQ(sink.heads[0].offset, 2);
  EXPECT_EQ(sink.heads[0].length, 4);
  EXPECT_EQ(sink.data, "2345");
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.headers.Get("Range"), "bytes=2-5");
  EXPECT_EQ(request.headers.Get("If-Match"), "\"v1\"");
}

TEST_F(RestUpstreamTest, OpenEndedRangeAsksToTheEnd) {
  http_.Enqueue(Answer(206, "789", {{"Content-Range", "bytes 7-9/10"}}));
  RecordingDownloadSink sink;
  ASSERT_TRUE(upstream_->Download(Context(), DownloadSpec{"k", 7}, sink).ok());
  EXPECT_EQ(OnlyRequest().headers.Get("Range"), "bytes=7-");
}

TEST_F(RestUpstreamTest, AStoreThatIgnoresRangeIsReadFromTheStartAndTheRestDropped) {
  http_.Enqueue(Answer(200, "0123456789", {{"Content-Length", "10"}}));
  RecordingDownloadSink sink;
  ASSERT_TRUE(upstream_->Download(Context(), DownloadSpec{"k", 3, 4}, sink).ok());
  EXPECT_EQ(sink.heads[0].offset, 3);
  EXPECT_EQ(sink.heads[0].length, 4);
  EXPECT_EQ(sink.data, "3456");
}

TEST_F(RestUpstreamTest, MalformedDownloadAnswers) {
  struct Case {
    FakeHttpAnswer answer;
    DownloadSpec spec;
    absl::StatusCode code;
    std::string message;
  };
  FakeHttpAnswer cut = Answer(206, "23", {{"Content-Range", "bytes 2-5/10"}});
  cut.error_after_body = MarkRetryable(absl::UnavailableError("connection reset"));
  const std::vector<Case> cases = {
      {Answer(206, "x", {{"Content-Range", "bytes 3-5/10"}}), DownloadSpec{"k", 2},
       absl::StatusCode::kInternal, "without a matching Content-Range"},
      {Answer(206, "x", {{"Content-Range", "nonsense"}}), DownloadSpec{"k", 2},
       absl::StatusCode::kInternal, "without a matching Content-Range"},
      {Answer(200, "x"), DownloadSpec{"k"}, absl::StatusCode::kInternal, "no Content-Length"},
      {Answer(200, "", {{"Content-Length", "5"}}), DownloadSpec{"k", 5},
       absl::StatusCode::kOutOfRange, "past the end"},
      {Answer(206, "23", {{"Content-Range", "bytes 2-5/10"}}), DownloadSpec{"k", 2},
       absl::StatusCode::kUnavailable, "2 bytes missing"},
      {cut, DownloadSpec{"k", 2}, absl::StatusCode::kUnavailable, "connection reset"},
      {Answer(412), DownloadSpec{"k", 0, std::nullopt, "old"},
       absl::StatusCode::kFailedPrecondition, "HTTP 412"},
  };
  for (const Case& c : cases) {
    http_.Enqueue(c.answer);
    RecordingDownloadSink sink;
    absl::Status status = upstream_->Download(Context(), c.spec, sink);
    EXPECT_EQ(status.code(), c.code) << c.message << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
}

TEST_F(RestUpstreamTest, ListSendsPrefixMaxKeysAndStartAfter) {
  http_.Enqueue(JsonAnswer(200, R"({"objects":[{"key":"p/b","size":1}],"count":1,
                                   "is_truncated":false})"));
  absl::StatusOr<ListPage> page = upstream_->List(Context(), ListQuery{"p/", "p/a", 3});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), "p/b ");
  EXPECT_EQ(OnlyRequest().url,
            "http://store.test:9000/list?prefix=p%2F&max_keys=3&start_after=p%2Fa");
}

TEST_F(RestUpstreamTest, ListOfAPaginatingStoreIsPassedOnPageByPage) {
  http_.Enqueue(JsonAnswer(200, R"({"objects":[{"key":"a","size":1},{"key":"b","size":2}],
                                   "count":2,"is_truncated":true,"next_start_after":"b"})"));
  absl::StatusOr<ListPage> page = upstream_->List(Context(), ListQuery{"", "", 2});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), "a b ");
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_start_after, "b");
  EXPECT_THAT(http_.requests(), SizeIs(1));
}

// A store that honours max_keys but has no pagination fields (the dialect allows it) may
// have cut the listing short and cannot continue it: the whole listing is fetched instead,
// and what the query asked for kept from it.
TEST_F(RestUpstreamTest, ListOfAStoreThatDoesNotPaginateFetchesTheWholeListing) {
  http_.SetHandler([](const RecordedHttpRequest& request) {
    const bool limited = absl::StrContains(request.url, "max_keys=");
    return JsonAnswer(200, limited ? R"({"objects":[{"key":"a","size":1},{"key":"b","size":1}],
                                        "count":2})"
                                   : R"({"objects":[{"key":"a","size":1},{"key":"b","size":1},
                                        {"key":"c","size":1},{"key":"d","size":1}],"count":4})");
  });
  absl::StatusOr<ListPage> page = upstream_->List(Context(), ListQuery{"", "a", 2});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), "b c d ");
  EXPECT_FALSE(page->is_truncated);
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_EQ(requests[0].url, "http://store.test:9000/list?prefix=&max_keys=2&start_after=a");
  EXPECT_EQ(requests[1].url, "http://store.test:9000/list?prefix=");
}

TEST_F(RestUpstreamTest, ShortListOfAStoreThatDoesNotPaginateIsComplete) {
  http_.Enqueue(JsonAnswer(200, R"({"objects":[{"key":"a","size":1},{"key":"x","size":1}],
                                   "count":2})"));
  absl::StatusOr<ListPage> page = upstream_->List(Context(), ListQuery{"", "", 5});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), "a x ");
  EXPECT_THAT(http_.requests(), SizeIs(1));
}

TEST_F(RestUpstreamTest, ListKeepsOnlyKeysOfThePrefixAfterStartAfter) {
  http_.Enqueue(JsonAnswer(200, R"({"objects":[{"key":"a","size":1},{"key":"p/1","size":1},
                                   {"key":"p/2","size":1},{"key":"q","size":1}],"count":4})"));
  absl::StatusOr<ListPage> page = upstream_->List(Context(), ListQuery{"p/", "p/1", 10});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), "p/2 ");
}

TEST_F(RestUpstreamTest, MalformedListAnswersAreInternal) {
  for (const char* body :
       {"", "{", R"({"count":0})", R"({"objects":{}})", R"({"objects":[{"size":1}]})",
        R"({"objects":[{"key":"a","size":-1}]})", R"({"objects":[], "is_truncated": true})"}) {
    http_.Enqueue(JsonAnswer(200, body));
    EXPECT_TRUE(absl::IsInternal(upstream_->List(Context(), ListQuery{}).status())) << body;
  }
}

TEST_F(RestUpstreamTest, DeleteSendsTheKeyAndCountsSends) {
  http_.Enqueue(Answer(204));
  EXPECT_TRUE(upstream_->Delete(Context(), {"d/k"}).ok());
  const RecordedHttpRequest request = OnlyRequest();
  EXPECT_EQ(request.method, "DELETE");
  EXPECT_EQ(request.url, "http://store.test:9000/delete?key=d%2Fk");
  EXPECT_TRUE(request.count_sends);
}

TEST_F(RestUpstreamTest, DeleteOfMissingObjectIsNotFound) {
  http_.Enqueue(JsonAnswer(404, R"({"error":"Object not found"})"));
  absl::Status status = upstream_->Delete(Context(), {"k"});
  EXPECT_TRUE(absl::IsNotFound(status));
  EXPECT_EQ(status.message(),
            "delete of \"k\": upstream answered HTTP 404 (not found): Object not found");
}

// The transport re-sent the DELETE on a dead kept-alive connection; the first send had
// deleted the object.
TEST_F(RestUpstreamTest, DeleteThatTheTransportSentTwiceAndFoundNothingSucceeded) {
  FakeHttpAnswer answer = JsonAnswer(404, R"({"error":"Object not found"})");
  answer.requests_sent = 2;
  http_.Enqueue(answer);
  EXPECT_TRUE(upstream_->Delete(Context(), {"k"}).ok());
  EXPECT_EQ(stats_.retries, 1);
}

TEST_F(RestUpstreamTest, HealthProbes) {
  http_.Enqueue(Answer(200, "OK"));
  http_.Enqueue(Answer(200, "READY\n"));
  EXPECT_TRUE(upstream_->CheckLive(Context()).ok());
  EXPECT_TRUE(upstream_->CheckReady(Context()).ok());
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  EXPECT_EQ(requests[0].url, "http://store.test:9000/minio/health/live");
  EXPECT_EQ(requests[1].url, "http://store.test:9000/minio/health/ready");

  http_.Enqueue(Answer(200, "STARTING", {{"Content-Type", "text/plain"}}));
  absl::Status not_ready = upstream_->CheckReady(Context());
  EXPECT_TRUE(absl::IsUnavailable(not_ready));
  EXPECT_THAT(not_ready.message(), HasSubstr("answered \"STARTING\""));
  http_.Enqueue(Answer(503, "<html>down</html>", {{"Content-Type", "text/html"}}));
  absl::Status down = upstream_->CheckLive(Context());
  EXPECT_TRUE(absl::IsUnavailable(down));
  EXPECT_THAT(down.message(), Not(HasSubstr("<html>")));
}

TEST_F(RestUpstreamTest, TransportErrorsPassThrough) {
  FakeHttpAnswer refused;
  refused.error = MarkRetryable(absl::UnavailableError("could not connect to the upstream"));
  http_.Enqueue(refused);
  absl::Status status = upstream_->Delete(Context(), {"k"});
  EXPECT_EQ(status, refused.error);
}

}  // namespace
}  // namespace objgate

namespace objgate {
namespace {

constexpr char kInfoWithConditionalWrites[] =
    R"({"status":"ok","version":"3","performance":"1x","capabilities":["conditional_writes"]})";
constexpr char kInfoWithout[] = R"({"status":"ok","version":"3","performance":"1x"})";
constexpr char kInfoWithUploadChecksums[] =
    R"({"status":"ok","version":"3","performance":"1x","capabilities":["upload_checksums"]})";
constexpr char kPartAnswer[] = R"({"part_number":1,"size":3,"etag":"e1"})";

TEST(RestUpstreamChecksumsTest, AStoreThatHashesUploadsIsAskedOnceAMinuteAndGetsPartCrc32cs) {
  FakeHttpClient http;
  FakeClock clock;
  std::unique_ptr<RestUpstream> upstream =
      *RestUpstream::Create(http, "http://store.test:9000", clock);
  CallContext context;
  context.tenant_id = "t1";

  http.Enqueue(JsonAnswer(200, kInfoWithUploadChecksums));
  EXPECT_TRUE(upstream->HashesUploads(context));
  http.Enqueue(JsonAnswer(200, kPartAnswer));
  ASSERT_TRUE(upstream->UploadPart(context, "k", "id", 1, "abc").ok());
  std::vector<RecordedHttpRequest> requests = http.requests();
  ASSERT_THAT(requests, SizeIs(2));  // the answer was remembered
  EXPECT_EQ(requests[1].headers.Get("X-Checksum-CRC32C"), Crc32cHex(Crc32c("abc")).substr(2));
  EXPECT_EQ(requests[1].headers.Get("X-Checksum-SHA256"), std::nullopt);

  // A minute on, the store is asked again, and a no is remembered as well.
  clock.Advance(absl::Minutes(1) + absl::Seconds(1));
  http.Enqueue(JsonAnswer(200, kInfoWithout));
  EXPECT_FALSE(upstream->HashesUploads(context));
  http.Enqueue(JsonAnswer(200, kPartAnswer));
  ASSERT_TRUE(upstream->UploadPart(context, "k", "id", 1, "abc").ok());
  requests = http.requests();
  ASSERT_THAT(requests, SizeIs(4));
  EXPECT_EQ(requests[3].headers.Get("X-Checksum-SHA256"), Sha256::Hex("abc"));
  EXPECT_EQ(requests[3].headers.Get("X-Checksum-CRC32C"), std::nullopt);
}

TEST(RestUpstreamChecksumsTest, AStoreThatCannotBeAskedIsTakenNotToHashUploads) {
  FakeHttpClient http;
  std::unique_ptr<RestUpstream> upstream = *RestUpstream::Create(http, "http://store.test:9000");
  http.Enqueue(JsonAnswer(503, "{}"));
  EXPECT_FALSE(upstream->HashesUploads(CallContext()));
}

TEST_F(RestUpstreamTest, ServerInfoListsConditionalWritesOnlyWhereTheStoreDeclaresThem) {
  http_.Enqueue(JsonAnswer(200, kInfoWithout));
  absl::StatusOr<UpstreamServerInfo> info = upstream_->GetServerInfo(Context());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->capabilities, ElementsAre("stat", "delimiter", "copy"));
  http_.Enqueue(JsonAnswer(200, kInfoWithConditionalWrites));
  info = upstream_->GetServerInfo(Context());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->capabilities,
              ElementsAre("stat", "delimiter", "copy", "conditional_upload", "conditional_delete"));
}

TEST_F(RestUpstreamTest, ConditionalUploadToAStoreThatDoesNotDeclareThemSendsNothing) {
  http_.Enqueue(JsonAnswer(200, kInfoWithout));
  UploadSpec spec{"k"};
  spec.if_none_match = "*";
  StringByteSource body("abc");
  absl::StatusOr<StoredObject> stored = upstream_->Upload(Context(), spec, body);
  EXPECT_TRUE(absl::IsUnimplemented(stored.status())) << stored.status();
  EXPECT_THAT(stored.status().message(), HasSubstr("conditional_writes"));
  EXPECT_EQ(OnlyRequest().url, "http://store.test:9000/");

  http_.Enqueue(JsonAnswer(200, kInfoWithout));
  absl::Status deleted = upstream_->Delete(Context(), {"k", "v1"});
  EXPECT_TRUE(absl::IsUnimplemented(deleted)) << deleted;
  EXPECT_THAT(http_.requests(), SizeIs(2));
}

TEST_F(RestUpstreamTest, ConditionalWritesCarryTheirHeadersAndTheCapabilityIsAskedOnce) {
  http_.Enqueue(JsonAnswer(200, kInfoWithConditionalWrites));
  http_.Enqueue(JsonAnswer(200, R"({"status":"uploaded","key":"k","size":3})"));
  http_.Enqueue(JsonAnswer(412, R"({"error":"object \"k\" exists"})"));
  http_.Enqueue(Answer(204));
  UploadSpec create{"k"};
  create.if_none_match = "*";
  StringByteSource body("abc");
  ASSERT_TRUE(upstream_->Upload(Context(), create, body).ok());
  UploadSpec replace{"k"};
  replace.if_match = "v1";
  StringByteSource again("abc");
  absl::StatusOr<StoredObject> refused = upstream_->Upload(Context(), replace, again);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  ASSERT_TRUE(upstream_->Delete(Context(), {"k", "v2"}).ok());

  const std::vector<RecordedHttpRequest> requests = http_.requests();
  ASSERT_THAT(requests, SizeIs(4));
  EXPECT_EQ(requests[0].url, "http://store.test:9000/");
  EXPECT_EQ(requests[1].headers.Get("If-None-Match"), "*");
  EXPECT_EQ(requests[1].headers.Get("If-Match"), std::nullopt);
  EXPECT_EQ(requests[2].headers.Get("If-Match"), "\"v1\"");
  EXPECT_EQ(requests[3].method, "DELETE");
  EXPECT_EQ(requests[3].headers.Get("If-Match"), "\"v2\"");
}

TEST_F(RestUpstreamTest, CopyStreamsTheSourceThroughTheGateway) {
  const std::string sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  http_.Enqueue(Answer(206, "abc",
                       {{"ETag", "\"v1\""},
                        {"Content-Range", "bytes 0-2/3"},
                        {"Content-Type", "text/plain"},
                        {"X-Checksum-SHA256", sha256}}));
  http_.Enqueue(JsonAnswer(200, R"({"status":"uploaded","key":"dst","size":3})"));
  absl::StatusOr<StoredObject> copied = upstream_->Copy(Context(), {"src", "dst", ""});
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(copied->size, 3);
  EXPECT_EQ(copied->sha256, sha256);
  const std::vector<RecordedHttpRequest> requests = http_.requests();
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_EQ(requests[0].url, "http://store.test:9000/download?key=src");
  EXPECT_EQ(requests[1].url, "http://store.test:9000/upload?key=dst");
  EXPECT_EQ(requests[1].body, "abc");
  EXPECT_EQ(requests[1].headers.Get("Content-Type"), "text/plain");
  EXPECT_EQ(requests[1].headers.Get("X-Checksum-SHA256"), sha256);
}

}  // namespace
}  // namespace objgate
