// Bit rot in the store, through a gateway that verifies download checksums (the default)
// and through one that passes the store's declared checksum on for the caller to verify
// (--verify_download_checksums=false). Either way corrupted bytes are never taken for
// good ones: the first ends the call with DATA_LOSS itself, with the second the trailer
// does not match the bytes and the objgate client reports DATA_LOSS.

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/sha256.h"
#include "tests/gateway/gateway_harness.h"

namespace objgate {
namespace {

using test_support::GatewayHarness;
using test_support::GatewayHarnessOptions;
using ::testing::HasSubstr;

constexpr char kTenant[] = "checksum-tenant";

// Flips the object's first byte where the reference store keeps it: the body is at the
// start of the object's file, which is named after the key's SHA-256.
void CorruptStoredObject(const std::string& data_dir, const std::string& key) {
  const std::string path = absl::StrCat(data_dir, "/tenants/", kTenant, "/", Sha256::Hex(key));
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  char byte = 0;
  ASSERT_EQ(pread(fd, &byte, 1, 0), 1);
  byte = static_cast<char>(byte ^ 0x01);
  ASSERT_EQ(pwrite(fd, &byte, 1, 0), 1);
  close(fd);
}

std::unique_ptr<GatewayHarness> StartGateway(std::vector<std::string> gateway_args) {
  GatewayHarnessOptions options;
  options.gateway_args = std::move(gateway_args);
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  EXPECT_TRUE(harness.ok()) << harness.status();
  return harness.ok() ? *std::move(harness) : nullptr;
}

std::unique_ptr<Client> ClientOf(GatewayHarness& harness) {
  ClientConfig config;
  config.tenant_id = kTenant;
  config.max_retries = 0;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config, harness.channel());
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

TEST(GatewayChecksumTest, VerifyingGatewayEndsACorruptedDownloadWithDataLoss) {
  std::unique_ptr<GatewayHarness> harness = StartGateway({});
  ASSERT_NE(harness, nullptr);
  const std::string body = test_support::TestBytes(700 * 1024);
  ASSERT_TRUE(test_support::Upload(harness->stub(), kTenant, "rot", body).status.ok());
  CorruptStoredObject(harness->refstore_data_dir(), "rot");

  // Even a caller that never looks at the trailer sees the failure in the status.
  test_support::DownloadOutcome down = test_support::Download(harness->stub(), kTenant, "rot");
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::DATA_LOSS) << down.status.error_message();
  EXPECT_THAT(down.status.error_message(), HasSubstr("upstream declared"));
  EXPECT_FALSE(down.trailer.has_value());
}

TEST(GatewayChecksumTest, PassThroughGatewayLeavesTheCheckToTheCallerWhichCatchesIt) {
  std::unique_ptr<GatewayHarness> harness =
      StartGateway({"--verify_download_checksums=false"});
  ASSERT_NE(harness, nullptr);
  const std::string body = test_support::TestBytes(700 * 1024);
  ASSERT_TRUE(test_support::Upload(harness->stub(), kTenant, "rot", body).status.ok());
  ASSERT_TRUE(test_support::Upload(harness->stub(), kTenant, "sound", body).status.ok());

  // Sound bytes: the declared checksum is the bytes' checksum.
  test_support::DownloadOutcome sound =
      test_support::Download(harness->stub(), kTenant, "sound");
  ASSERT_TRUE(sound.status.ok()) << sound.status.error_message();
  EXPECT_EQ(sound.data, body);
  ASSERT_TRUE(sound.trailer.has_value());
  EXPECT_EQ(sound.trailer->sha256(), Sha256::Hex(body));

  CorruptStoredObject(harness->refstore_data_dir(), "rot");
  // The stream completes and its trailer holds the store's declaration, which the
  // corrupted bytes do not hash to...
  test_support::DownloadOutcome raw = test_support::Download(harness->stub(), kTenant, "rot");
  ASSERT_TRUE(raw.status.ok()) << raw.status.error_message();
  ASSERT_TRUE(raw.trailer.has_value());
  EXPECT_EQ(raw.trailer->sha256(), Sha256::Hex(body));
  EXPECT_NE(Sha256::Hex(raw.data), raw.trailer->sha256());
  // ...so the objgate client refuses them.
  std::unique_ptr<Client> client = ClientOf(*harness);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<std::string> data = client->Download("rot");
  EXPECT_TRUE(absl::IsDataLoss(data.status())) << data.status();
  EXPECT_EQ(client->Download("sound").value_or(""), body);
}

}  // namespace
}  // namespace objgate
