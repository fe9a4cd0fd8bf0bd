// SIGTERM with calls in flight: the gateway stops accepting, lets calls finish within the
// grace period, ends the rest, never reports a short transfer as a success, and exits.
#include <signal.h>
#include <sys/wait.h>

#include <string>

#include "absl/time/clock.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::testing::AnyOf;

// Large enough that the download is still streaming when the signal comes, whatever the
// caller's flow-control window has taken in.
constexpr size_t kObjectBytes = 64 << 20;

std::unique_ptr<GatewayHarness> StartWithGrace(const std::string& grace) {
  GatewayHarnessOptions options;
  options.gateway_args = {"--grace_period=" + grace};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  EXPECT_TRUE(harness.ok()) << harness.status();
  return harness.ok() ? *std::move(harness) : nullptr;
}

struct OpenDownload {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<v1::DownloadResponse>> reader;
};

// Starts a download and reads its metadata and first chunk only: the call stays in flight,
// blocked on the caller once flow control fills.
OpenDownload StartDownload(v1::ObjectStorage::Stub& stub, const std::string& key) {
  OpenDownload download;
  download.context = TenantContext("shutdown");
  v1::DownloadRequest request;
  request.set_key(key);
  download.reader = stub.Download(download.context.get(), request);
  v1::DownloadResponse message;
  EXPECT_TRUE(download.reader->Read(&message) && message.has_metadata());
  EXPECT_TRUE(download.reader->Read(&message) && message.has_data());
  return download;
}

// Reads the rest; true only for a complete stream whose trailer matches `expected_sha256`.
bool FinishDownload(OpenDownload& download, const std::string& expected_sha256,
                    grpc::Status& status) {
  v1::DownloadResponse message;
  std::string trailer_sha256;
  while (download.reader->Read(&message)) {
    if (message.has_trailer()) trailer_sha256 = message.trailer().sha256();
  }
  status = download.reader->Finish();
  return status.ok() && trailer_sha256 == expected_sha256;
}

TEST(GatewayShutdownTest, InFlightCallFinishesWhileNewCallsAreRefused) {
  std::unique_ptr<GatewayHarness> harness = StartWithGrace("30s");
  ASSERT_NE(harness, nullptr);
  const std::string data = TestBytes(kObjectBytes);
  ASSERT_TRUE(Upload(harness->stub(), "shutdown", "big", data).status.ok());

  OpenDownload download = StartDownload(harness->stub(), "big");
  ASSERT_EQ(kill(harness->gateway().pid(), SIGTERM), 0);

  // Once the gateway has taken the signal, a fresh connection finds nobody listening.
  // The signal is handled asynchronously, so ask until it has been.
  grpc::Status refused;
  for (const absl::Time give_up = absl::Now() + absl::Seconds(10);
       refused.ok() && absl::Now() < give_up;) {
    auto fresh = v1::ObjectStorage::NewStub(
        grpc::CreateChannel(harness->gateway().address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    v1::ServerInfo info;
    refused = fresh->GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
  }
  // UNAVAILABLE when the connection is refused, CANCELLED when it was accepted just as the
  // listener closed: either way the call is not served.
  EXPECT_THAT(refused.error_code(),
              AnyOf(grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::CANCELLED))
      << refused.error_message();

  grpc::Status status;
  EXPECT_TRUE(FinishDownload(download, Sha256::Hex(data), status)) << status.error_message();

  const absl::Time finished = absl::Now();
  absl::StatusOr<int> exit = harness->gateway().Stop(SIGTERM, absl::Seconds(30));
  // Nothing is left to wait for once the last call has ended.
  EXPECT_LT(absl::Now() - finished, absl::Seconds(2));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0);
}

TEST(GatewayShutdownTest, CallOutlivingTheGracePeriodFailsAndTheProcessExitsInTime) {
  std::unique_ptr<GatewayHarness> harness = StartWithGrace("1s");
  ASSERT_NE(harness, nullptr);
  const std::string data = TestBytes(kObjectBytes);
  ASSERT_TRUE(Upload(harness->stub(), "shutdown", "big", data).status.ok());

  OpenDownload download = StartDownload(harness->stub(), "big");
  const absl::Time signalled = absl::Now();
  ASSERT_EQ(kill(harness->gateway().pid(), SIGTERM), 0);
  // The caller reads nothing more until the gateway has gone.
  absl::StatusOr<int> exit = harness->gateway().Stop(SIGTERM, absl::Seconds(10));
  const absl::Duration took = absl::Now() - signalled;
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0);
  EXPECT_LT(took, absl::Seconds(3));

  grpc::Status status;
  EXPECT_FALSE(FinishDownload(download, Sha256::Hex(data), status));
  EXPECT_THAT(status.error_code(),
              AnyOf(grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::CANCELLED));
}

grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    const std::shared_ptr<grpc::Channel>& channel) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("storage.v1.ObjectStorage");
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  if (!health->Check(&context, request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

// --drain_delay: NOT_SERVING at once, for a balancer's health checks to see, while new
// calls (on new connections too) are still served until the delay ends; then the usual
// stop.
TEST(GatewayShutdownTest, DrainDelayReportsNotServingWhileStillServingNewCalls) {
  GatewayHarnessOptions options;
  options.gateway_args = {"--drain_delay=4s", "--grace_period=10s",
                          "--health_check_interval=100ms"};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  ASSERT_TRUE(WaitUntilServing((*harness)->channel()));

  const absl::Time signalled = absl::Now();
  ASSERT_EQ(kill((*harness)->gateway().pid(), SIGTERM), 0);
  bool not_serving = false;
  while (!not_serving && absl::Now() < signalled + absl::Seconds(2)) {
    not_serving =
        Health((*harness)->channel()) == grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  }
  EXPECT_TRUE(not_serving);
  // A caller that has not heard is still served, on a connection of its own.
  auto fresh = v1::ObjectStorage::NewStub(
      grpc::CreateChannel((*harness)->gateway().address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::ServerInfo info;
  grpc::Status served = fresh->GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
  EXPECT_TRUE(served.ok()) << served.error_message();
  EXPECT_LT(absl::Now() - signalled, absl::Seconds(4)) << "too slow to tell";
  ASSERT_TRUE(Upload((*harness)->stub(), "shutdown", "during-drain", "stored").status.ok());

  absl::StatusOr<int> exit = (*harness)->gateway().Stop(0, absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0);
  EXPECT_GE(absl::Now() - signalled, absl::Seconds(4));
}

}  // namespace
}  // namespace objgate::test_support
