// The gateway against a failing upstream: a fault proxy between the gateway and the
// reference store breaks exchanges through real sockets, as scripted per test. Each test
// checks what the caller saw and, from the proxy's log, what the upstream side saw.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/sha256.h"
#include "tests/gateway/gateway_harness.h"
#include "tools/faultproxy/fault_proxy_client.h"
#include "tools/faultproxy/request_log.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::objgate::faultproxy::LoggedRequest;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kTenant[] = "fault-tenant";


v1::DeleteRequest DeleteOf(const std::string& key) {
  v1::DeleteRequest request;
  request.set_key(key);
  return request;
}

// The first byte of a "bytes=A-B" or "bytes=A-" range, or -1.
int64_t RangeStart(const std::optional<std::string>& range) {
  int64_t start = -1;
  if (!range || !absl::StartsWith(*range, "bytes=")) return -1;
  const std::string text = range->substr(6, range->find('-') - 6);
  return absl::SimpleAtoi(text, &start) ? start : -1;
}

class GatewayFaultTest : public ::testing::Test {
 protected:
  // Starts reference store, fault proxy and gateway; `gateway_args` override the harness's
  // quick retry flags.
  void StartGateway(std::vector<std::string> gateway_args = {}) {
    GatewayHarnessOptions options;
    options.fault_proxy = true;
    options.gateway_args = std::move(gateway_args);
    absl::StatusOr<std::unique_ptr<GatewayHarness>> started = GatewayHarness::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    harness_ = *std::move(started);
  }

  v1::ObjectStorage::Stub& stub() { return harness_->stub(); }
  faultproxy::FaultProxyClient& proxy() { return *harness_->fault_proxy(); }

  void AddRules(absl::string_view json) {
    absl::Status added = proxy().AddRules(json);
    ASSERT_TRUE(added.ok()) << added;
  }

  // The requests the upstream side saw on `path`; health probes and other routes left out.
  std::vector<LoggedRequest> Seen(absl::string_view path) {
    absl::StatusOr<std::vector<LoggedRequest>> log = proxy().Log(path);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : std::vector<LoggedRequest>();
  }

  // Stores `data` under `key` and forgets the upload in the proxy's log.
  void Store(const std::string& key, const std::string& data) {
    UploadOutcome up = Upload(stub(), kTenant, key, data);
    ASSERT_TRUE(up.status.ok()) << up.status.error_message();
    ASSERT_TRUE(proxy().ClearLog().ok());
  }

  std::unique_ptr<GatewayHarness> harness_;
};

TEST_F(GatewayFaultTest, Download503TwiceThenSucceedsAfterExactlyTwoRetries) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  const std::string data = TestBytes(100000);
  ASSERT_NO_FATAL_FAILURE(Store("k", data));
  ASSERT_NO_FATAL_FAILURE(AddRules(
      R"({"method": "GET", "path": "/download", "times": 2, "action": "respond", "status": 503,
          "body": "{\"error\": \"busy\"}"})"));

  DownloadOutcome down = Download(stub(), kTenant, "k");

  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == data);
  const std::vector<LoggedRequest> seen = Seen("/download");
  ASSERT_THAT(seen, SizeIs(3));
  EXPECT_EQ(seen[0].outcome->status, 503);
  EXPECT_EQ(seen[1].outcome->status, 503);
  EXPECT_EQ(seen[2].rule, "");
  EXPECT_EQ(seen[2].outcome->status, 200);
}

TEST_F(GatewayFaultTest, MoreThanMaxRetries503sIsUnavailableAfterMaxRetriesPlusOneAttempts) {
  ASSERT_NO_FATAL_FAILURE(StartGateway({"--max_retries=3"}));
  ASSERT_NO_FATAL_FAILURE(Store("k", "x"));
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/download", "times": 10, "action": "respond", "status": 503})"));

  DownloadOutcome down = Download(stub(), kTenant, "k");

  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.status.error_message(), HasSubstr("after 4 attempts"));
  const std::vector<LoggedRequest> seen = Seen("/download");
  ASSERT_THAT(seen, SizeIs(4));
  for (const LoggedRequest& request : seen) EXPECT_EQ(request.outcome->status, 503);
}

TEST_F(GatewayFaultTest, RateLimitWithRetryAfterWaitsThatLongThenSucceeds) {
  // The harness caps waits at 200ms; a Retry-After of 1 s needs more room.
  ASSERT_NO_FATAL_FAILURE(StartGateway({"--max_delay=3s"}));
  ASSERT_NO_FATAL_FAILURE(Store("listed", "x"));
  ASSERT_NO_FATAL_FAILURE(AddRules(
      R"({"path": "/list", "action": "respond", "status": 429, "headers": {"Retry-After": "1"}})"));

  ListOutcome listed = List(stub(), kTenant, v1::ListRequest());

  ASSERT_TRUE(listed.status.ok()) << listed.status.error_message();
  EXPECT_THAT(listed.keys, ::testing::ElementsAre("listed"));
  const std::vector<LoggedRequest> seen = Seen("/list");
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[0].outcome->status, 429);
  EXPECT_EQ(seen[1].outcome->status, 200);
  EXPECT_GE(seen[1].started - seen[0].outcome->ended, absl::Milliseconds(950));
}

TEST_F(GatewayFaultTest, RateLimitWithoutRetryAfterIsRetriedOnTheBackoffSchedule) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/list", "times": 2, "action": "respond", "status": 429})"));

  ListOutcome listed = List(stub(), kTenant, v1::ListRequest());

  ASSERT_TRUE(listed.status.ok()) << listed.status.error_message();
  const std::vector<LoggedRequest> seen = Seen("/list");
  ASSERT_THAT(seen, SizeIs(3));
  EXPECT_EQ(seen[2].outcome->status, 200);
  // --base_delay=20ms, --max_delay=200ms: two waits well under the 1 s a Retry-After asks.
  EXPECT_LT(seen[2].started - seen[0].started, absl::Seconds(1));
}

TEST_F(GatewayFaultTest, ConnectionResetBeforeTheResponseIsRetriedAndSucceeds) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  const std::string data = TestBytes(5000);
  ASSERT_NO_FATAL_FAILURE(Store("k", data));
  ASSERT_NO_FATAL_FAILURE(AddRules(R"({"path": "/download", "action": "reset_before_response"})"));

  DownloadOutcome down = Download(stub(), kTenant, "k");

  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == data);
  const std::vector<LoggedRequest> seen = Seen("/download");
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[0].action, "reset_before_response");
  EXPECT_EQ(seen[0].outcome->status, 0);
  EXPECT_EQ(seen[1].outcome->status, 200);
}

TEST_F(GatewayFaultTest, DownloadResumesAfterResetMidBodyWithRangeAndIfMatch) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  const std::string data = TestBytes((5 << 20) + 123);
  ASSERT_NO_FATAL_FAILURE(Store("big", data));
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/download", "action": "reset_after_body_bytes", "bytes": 1048576})"));

  DownloadOutcome down = Download(stub(), kTenant, "big");

  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.data.size(), data.size());
  EXPECT_EQ(Sha256::Hex(down.data), Sha256::Hex(data));
  ASSERT_TRUE(down.trailer.has_value());
  EXPECT_EQ(down.trailer->sha256(), Sha256::Hex(data));
  const std::vector<LoggedRequest> seen = Seen("/download");
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[0].outcome->response_body_bytes, 1048576u);
  EXPECT_EQ(seen[1].Header("Range"), absl::StrCat("bytes=1048576-", data.size() - 1));
  EXPECT_EQ(seen[1].Header("If-Match"), absl::StrCat("\"", down.metadata->etag(), "\""));
  EXPECT_EQ(seen[1].outcome->status, 206);
  EXPECT_EQ(seen[1].outcome->response_body_bytes, data.size() - 1048576);
}

TEST_F(GatewayFaultTest, DownloadBodyShorterThanContentLengthIsResumedNeverShort) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  const std::string data = TestBytes(1 << 20);
  ASSERT_NO_FATAL_FAILURE(Store("short", data));
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/download", "action": "close_after_body_bytes", "bytes": 300000})"));

  DownloadOutcome down = Download(stub(), kTenant, "short");

  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256::Hex(down.data), Sha256::Hex(data));
  const std::vector<LoggedRequest> seen = Seen("/download");
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[0].outcome->response_body_bytes, 300000u);
  EXPECT_EQ(RangeStart(seen[1].Header("Range")), 300000);
  EXPECT_TRUE(seen[1].Header("If-Match").has_value());
}

TEST_F(GatewayFaultTest, StalledUpstreamIsDeadlineExceededAndTheUpstreamCallIsCancelled) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  ASSERT_NO_FATAL_FAILURE(Store("slow", TestBytes(1 << 20)));
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/download", "action": "stall_after_body_bytes", "bytes": 65536})"));
  const absl::Duration deadline = absl::Milliseconds(1500);
  v1::DownloadRequest request;
  request.set_key("slow");

  const absl::Time start = absl::Now();
  DownloadOutcome down = Download(stub(), kTenant, request, deadline);
  const absl::Duration took = absl::Now() - start;

  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_GE(took, deadline - absl::Milliseconds(50));
  EXPECT_LT(took, deadline + absl::Seconds(1));
  const std::vector<LoggedRequest> seen = Seen("/download");
  ASSERT_THAT(seen, SizeIs(1));
  ASSERT_TRUE(seen[0].outcome.has_value()) << "the gateway never closed the upstream call";
  EXPECT_TRUE(seen[0].outcome->client_closed);
  EXPECT_EQ(seen[0].outcome->response_body_bytes, 65536u);
  EXPECT_LT(seen[0].outcome->ended - start, deadline + absl::Seconds(1));
}

TEST_F(GatewayFaultTest, StoreDownBehindTheProxyIsUnavailableAfterEveryAttempt) {
  ASSERT_NO_FATAL_FAILURE(StartGateway({"--max_retries=2"}));
  ASSERT_TRUE(harness_->refstore()->Stop().ok());

  DownloadOutcome down = Download(stub(), kTenant, "k");

  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.status.error_message(), HasSubstr("after 3 attempts"));
  const std::vector<LoggedRequest> seen = Seen("/download");
  ASSERT_THAT(seen, SizeIs(3));
  for (const LoggedRequest& request : seen) EXPECT_EQ(request.outcome->status, 502);
}

TEST_F(GatewayFaultTest, UpstreamNotListeningIsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(StartGateway({"--max_retries=2"}));
  ASSERT_TRUE(harness_->fault_proxy_process()->Stop().ok());

  DownloadOutcome down = Download(stub(), kTenant, "k");

  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.status.error_message(), HasSubstr("after 3 attempts"));
}

TEST_F(GatewayFaultTest, GarbageJsonFromListIsInternalAndTheGatewayKeepsServing) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  ASSERT_NO_FATAL_FAILURE(Store("a", "x"));
  ASSERT_NO_FATAL_FAILURE(AddRules(
      R"({"path": "/list", "action": "replace_body", "body": "<html>502 Bad Gateway</html>"})"));

  ListOutcome broken = List(stub(), kTenant, v1::ListRequest());
  ListOutcome after = List(stub(), kTenant, v1::ListRequest());

  EXPECT_EQ(broken.status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(broken.status.error_message(), HasSubstr("not a JSON object"));
  ASSERT_TRUE(after.status.ok()) << after.status.error_message();
  EXPECT_THAT(after.keys, ::testing::ElementsAre("a"));
  const std::vector<LoggedRequest> seen = Seen("/list");
  ASSERT_THAT(seen, SizeIs(2)) << "a malformed answer is not retried";
  EXPECT_EQ(seen[0].action, "replace_body");
  EXPECT_EQ(seen[1].rule, "");
}

TEST_F(GatewayFaultTest, SmallUploadBrokenMidBodyIsReplayedFromTheBuffer) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  // A first upload leaves a pooled connection, the one the broken upload then reuses, as
  // in production.
  ASSERT_NO_FATAL_FAILURE(Store("warm-up", "x"));
  const std::string data = TestBytes(256 * 1024);
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/upload", "action": "reset_after_request_bytes", "bytes": 65536})"));

  UploadOutcome up = Upload(stub(), kTenant, "replayed", data);

  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  EXPECT_EQ(up.response.sha256(), Sha256::Hex(data));
  const std::vector<LoggedRequest> seen = Seen("/upload");
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[0].outcome->request_body_bytes, 65536u);
  EXPECT_EQ(seen[1].outcome->request_body_bytes, data.size());
  EXPECT_EQ(seen[1].outcome->status, 200);
  DownloadOutcome down = Download(stub(), kTenant, "replayed");
  ASSERT_TRUE(down.status.ok());
  EXPECT_EQ(Sha256::Hex(down.data), Sha256::Hex(data));
}

class GatewayLargeUploadFaultTest : public GatewayFaultTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartGateway({"--replay_buffer_bytes=1048576"}));
  }

  // Uploads 3 MiB that the upstream loses after 2 MiB, past what the gateway can replay.
  UploadOutcome BrokenUpload(const std::string& key) {
    AddRules(R"({"path": "/upload", "action": "reset_after_request_bytes", "bytes": 2097152})");
    return Upload(stub(), kTenant, key, TestBytes(3 << 20));
  }
};

TEST_F(GatewayLargeUploadFaultTest, BrokenMidBodyIsUnavailableAndLeavesNoObject) {
  UploadOutcome up = BrokenUpload("large");

  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(up.status.error_message(), HasSubstr("retry it from the source"));
  const std::vector<LoggedRequest> seen = Seen("/upload");
  ASSERT_THAT(seen, SizeIs(1)) << "not replayable, so not retried";
  EXPECT_EQ(seen[0].outcome->request_body_bytes, 2097152u);
  EXPECT_EQ(Download(stub(), kTenant, "large").status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GatewayLargeUploadFaultTest, BrokenOverwriteKeepsTheOldObject) {
  ASSERT_NO_FATAL_FAILURE(Store("kept", "old contents"));

  UploadOutcome up = BrokenUpload("kept");

  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(Seen("/upload"), SizeIs(1));
  EXPECT_EQ(Download(stub(), kTenant, "kept").data, "old contents");
}

TEST_F(GatewayFaultTest, Delete500IsRetried) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  ASSERT_NO_FATAL_FAILURE(Store("doomed", "x"));
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"method": "DELETE", "path": "/delete", "action": "respond", "status": 500})"));

  v1::DeleteResponse response;
  grpc::Status status = stub().Delete(TenantContext(kTenant).get(), DeleteOf("doomed"), &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::vector<LoggedRequest> seen = Seen("/delete");
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[0].outcome->status, 500);
  EXPECT_EQ(seen[1].outcome->status, 204);
  EXPECT_EQ(Download(stub(), kTenant, "doomed").status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GatewayFaultTest, DeleteWhoseAnswerWasLostCountsAsDoneWhenTheRetryFinds404) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  ASSERT_NO_FATAL_FAILURE(Store("doomed", "x"));
  // The store deletes the object, then the connection is reset before its answer.
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/delete", "action": "reset_before_response", "forward_first": true})"));

  v1::DeleteResponse response;
  grpc::Status status = stub().Delete(TenantContext(kTenant).get(), DeleteOf("doomed"), &response);

  EXPECT_TRUE(status.ok()) << status.error_message();
  const std::vector<LoggedRequest> seen = Seen("/delete");
  ASSERT_THAT(seen, SizeIs(2));
  EXPECT_EQ(seen[0].action, "reset_before_response");
  EXPECT_EQ(seen[1].outcome->status, 404);
  EXPECT_EQ(Download(stub(), kTenant, "doomed").status.error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace objgate::test_support
