// Callers and upstreams that go away: a caller that cancels mid-stream releases its
// upstream call at once and leaves nothing half-stored; an upstream whose name does not
// resolve is UNAVAILABLE; an upstream that restarts is served again, data intact.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/ports.h"
#include "tests/support/refstore_process.h"
#include "tests/support/temp_dir.h"
#include "tools/faultproxy/fault_proxy_client.h"
#include "tools/faultproxy/request_log.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::objgate::faultproxy::LoggedRequest;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr size_t kObjectBytes = 32 << 20;

std::unique_ptr<GatewayHarness> StartBehindProxy() {
  GatewayHarnessOptions options;
  options.fault_proxy = true;
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  EXPECT_TRUE(harness.ok()) << harness.status();
  return harness.ok() ? *std::move(harness) : nullptr;
}

TEST(GatewayCallerGoneTest, CancelledDownloadReleasesItsUpstreamCallAtOnce) {
  std::unique_ptr<GatewayHarness> harness = StartBehindProxy();
  ASSERT_NE(harness, nullptr);
  ASSERT_TRUE(Upload(harness->stub(), "gone", "big", std::string(kObjectBytes, 'g')).status.ok());
  ASSERT_TRUE(harness->fault_proxy()->ClearLog().ok());

  auto context = TenantContext("gone");
  v1::DownloadRequest request;
  request.set_key("big");
  auto reader = harness->stub().Download(context.get(), request);
  v1::DownloadResponse message;
  ASSERT_TRUE(reader->Read(&message) && message.has_metadata());
  const absl::Time cancelled = absl::Now();
  context->TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  absl::StatusOr<std::vector<LoggedRequest>> seen = harness->fault_proxy()->Log("/download");
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_THAT(*seen, SizeIs(1));
  ASSERT_TRUE((*seen)[0].outcome.has_value()) << "the upstream call is still open";
  EXPECT_TRUE((*seen)[0].outcome->client_closed);
  EXPECT_LT((*seen)[0].outcome->response_body_bytes, kObjectBytes);
  EXPECT_LT((*seen)[0].outcome->ended - cancelled, absl::Seconds(2));
}

TEST(GatewayCallerGoneTest, CancelledUploadStoresNothing) {
  std::unique_ptr<GatewayHarness> harness = StartBehindProxy();
  ASSERT_NE(harness, nullptr);

  auto context = TenantContext("gone");
  v1::UploadResponse response;
  auto writer = harness->stub().Upload(context.get(), &response);
  v1::UploadRequest message;
  message.mutable_spec()->set_key("half");  // no declared size: nothing else would catch it
  ASSERT_TRUE(writer->Write(message));
  message.set_data(std::string(1 << 20, 'h'));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(writer->Write(message));
  context->TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);

  absl::StatusOr<std::vector<LoggedRequest>> seen = harness->fault_proxy()->Log("/upload");
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_THAT(*seen, SizeIs(1));
  ASSERT_TRUE((*seen)[0].outcome.has_value()) << "the upstream call is still open";
  EXPECT_TRUE((*seen)[0].outcome->client_closed);
  EXPECT_EQ((*seen)[0].outcome->status, 0) << "the store answered a body that never ended";
  EXPECT_EQ(Download(harness->stub(), "gone", "half").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST(GatewayUpstreamNameTest, UnresolvableUpstreamIsUnavailable) {
  GatewayHarnessOptions options;
  // .invalid never resolves (RFC 2606).
  options.upstream_url = "http://objgate-upstream.invalid:9000";
  options.gateway_args = {"--max_retries=1"};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  DownloadOutcome down = Download((*harness)->stub(), "t", "k");
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.status.error_message(), HasSubstr("could not resolve the upstream"));
}


TEST(GatewayUpstreamRestartTest, ServesAgainAfterTheUpstreamRestartsWithDataIntact) {
  TempDir data;
  const std::string listen = absl::StrCat("--listen=127.0.0.1:", FreeLoopbackPort());
  absl::StatusOr<std::unique_ptr<Subprocess>> store = StartRefstore(data.path(), {listen});
  ASSERT_TRUE(store.ok()) << store.status();
  GatewayHarnessOptions options;
  options.upstream_url = (*store)->address();
  options.gateway_args = {"--max_retries=1"};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  v1::ObjectStorage::Stub& stub = (*harness)->stub();
  ASSERT_TRUE(Upload(stub, "r", "before", "stored before the restart").status.ok());

  ASSERT_TRUE((*store)->Stop().ok());
  EXPECT_EQ(Download(stub, "r", "before").status.error_code(), grpc::StatusCode::UNAVAILABLE);

  store = StartRefstore(data.path(), {listen});
  ASSERT_TRUE(store.ok()) << store.status();
  // The pooled connections died with the old process; the next calls get new ones.
  DownloadOutcome down = Download(stub, "r", "before");
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.data, "stored before the restart");
  EXPECT_TRUE(Upload(stub, "r", "after", "x").status.ok());
}

}  // namespace
}  // namespace objgate::test_support
