// Bit rot in the store, through a gateway that verifies download checksums (the default)
// and through one that passes the store's declared checksum on for the caller to verify
// (--verify_download_checksums=false). Either way corrupted bytes are never taken for
// good ones: the first ends the call with DATA_LOSS itself; so does the second where the
// store declares a CRC32C, which costs the gateway nothing to check, and where it declares
// only a SHA-256 the trailer does not match the bytes and the objgate client reports
// DATA_LOSS.

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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

std::unique_ptr<GatewayHarness> StartGateway(std::vector<std::string> gateway_args,
                                             std::vector<std::string> refstore_args = {}) {
  GatewayHarnessOptions options;
  options.gateway_args = std::move(gateway_args);
  options.refstore_args = std::move(refstore_args);
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
  // The store declaring a CRC32C and a SHA-256 (checked by CRC32C), and a SHA-256 alone
  // (checked by hashing).
  for (const std::string declare_crc32c : {"true", "false"}) {
    std::unique_ptr<GatewayHarness> harness =
        StartGateway({}, {"--declare_crc32c=" + declare_crc32c});
    ASSERT_NE(harness, nullptr);
    const std::string body = test_support::TestBytes(700 * 1024);
    ASSERT_TRUE(test_support::Upload(harness->stub(), kTenant, "rot", body).status.ok());
    ASSERT_TRUE(test_support::Upload(harness->stub(), kTenant, "sound", body).status.ok());
    test_support::DownloadOutcome sound = test_support::Download(harness->stub(), kTenant, "sound");
    ASSERT_TRUE(sound.status.ok()) << sound.status.error_message();
    EXPECT_EQ(sound.data, body);
    EXPECT_EQ(sound.trailer->sha256(), Sha256::Hex(body));
    CorruptStoredObject(harness->refstore_data_dir(), "rot");

    // Even a caller that never looks at the trailer sees the failure in the status.
    test_support::DownloadOutcome down = test_support::Download(harness->stub(), kTenant, "rot");
    EXPECT_EQ(down.status.error_code(), grpc::StatusCode::DATA_LOSS) << down.status.error_message();
    EXPECT_THAT(down.status.error_message(),
                HasSubstr(declare_crc32c == "true" ? "CRC32C" : "hash to"));
    EXPECT_THAT(down.status.error_message(), HasSubstr("upstream declared"));
    EXPECT_FALSE(down.trailer.has_value());
  }
}

TEST(GatewayChecksumTest, PassThroughGatewayStillChecksTheStoresCrc32c) {
  std::unique_ptr<GatewayHarness> harness = StartGateway({"--verify_download_checksums=false"});
  ASSERT_NE(harness, nullptr);
  const std::string body = test_support::TestBytes(700 * 1024);
  ASSERT_TRUE(test_support::Upload(harness->stub(), kTenant, "rot", body).status.ok());
  CorruptStoredObject(harness->refstore_data_dir(), "rot");
  test_support::DownloadOutcome down = test_support::Download(harness->stub(), kTenant, "rot");
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::DATA_LOSS) << down.status.error_message();
  EXPECT_THAT(down.status.error_message(), HasSubstr("CRC32C"));
}

TEST(GatewayChecksumTest, PassThroughGatewayLeavesTheCheckToTheCallerWhichCatchesIt) {
  // A store that declares only the SHA-256: nothing for the gateway to check cheaply.
  std::unique_ptr<GatewayHarness> harness =
      StartGateway({"--verify_download_checksums=false"}, {"--declare_crc32c=false"});
  ASSERT_NE(harness, nullptr);
  const std::string body = test_support::TestBytes(700 * 1024);
  ASSERT_TRUE(test_support::Upload(harness->stub(), kTenant, "rot", body).status.ok());
  ASSERT_TRUE(test_support::Upload(harness->stub(), kTenant, "sound", body).status.ok());

  // Sound bytes: the declared checksum is the bytes' checksum.
  test_support::DownloadOutcome sound = test_support::Download(harness->stub(), kTenant, "sound");
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

// Uploads are hashed by a store that declares "upload_checksums" (the reference store by
// default), and otherwise by the gateway: either way the answer carries the bytes'
// SHA-256 and a declared one that differs stores nothing.
TEST(GatewayChecksumTest, UploadsAreHashedByTheStoreOrElseByTheGateway) {
  for (const std::string upload_checksums : {"true", "false"}) {
    std::unique_ptr<GatewayHarness> harness =
        StartGateway({}, {"--upload_checksums=" + upload_checksums});
    ASSERT_NE(harness, nullptr);
    const std::string body = test_support::TestBytes(300 * 1024);
    test_support::UploadOutcome up = test_support::Upload(harness->stub(), kTenant, "k", body);
    ASSERT_TRUE(up.status.ok()) << up.status.error_message();
    EXPECT_EQ(up.response.sha256(), Sha256::Hex(body)) << upload_checksums;

    test_support::UploadOptions declared;
    declared.sha256 = Sha256::Hex("other bytes");
    test_support::UploadOutcome refused =
        test_support::Upload(harness->stub(), kTenant, "bad", body, declared);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << upload_checksums;
    EXPECT_THAT(refused.status.error_message(), HasSubstr("SHA-256"));
    EXPECT_EQ(test_support::Download(harness->stub(), kTenant, "bad").status.error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
}

}  // namespace
}  // namespace objgate
