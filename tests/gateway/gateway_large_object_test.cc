// A 1 GiB object through the gateway and back, generated and checked on the fly so that
// neither the test nor any process needs the object in memory; the gateway's peak RSS is
// printed and bounded. On both dialects; on S3 the connection of one part is reset in the
// middle by a fault proxy, and the upload still completes.
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/process_stats.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;

constexpr int64_t kObjectBytes = int64_t{1} << 30;
constexpr size_t kChunkBytes = 1 << 20;
// Far below the object's size: the gateway streams, it does not hold objects.
constexpr int64_t kMaxGatewayPeakRss = int64_t{192} << 20;

// Deterministic bytes that do not repeat at any chunk boundary.
void FillChunk(std::string& chunk, uint64_t index) {
  uint64_t state = index * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i + 8 <= chunk.size(); i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::memcpy(&chunk[i], &state, 8);
  }
}

// Uploads and downloads the object through `harness`; returns its SHA-256.
void RoundTrip(GatewayHarness& harness) {
  const std::string tenant = "large";
  const std::string key = "big/1GiB.bin";

  Sha256 sent_hash;
  {
    v1::UploadResponse response;
    auto context = TenantContext(tenant, absl::Minutes(10));
    auto writer = harness.stub().Upload(context.get(), &response);
    v1::UploadRequest message;
    message.mutable_spec()->set_key(key);
    message.mutable_spec()->set_size(kObjectBytes);
    ASSERT_TRUE(writer->Write(message));
    std::string chunk(kChunkBytes, '\0');
    for (uint64_t i = 0; i < kObjectBytes / kChunkBytes; ++i) {
      FillChunk(chunk, i);
      sent_hash.Update(chunk);
      message.set_data(chunk);
      ASSERT_TRUE(writer->Write(message)) << "upload stream broke at chunk " << i;
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.size(), kObjectBytes);
  }
  const std::string sent_sha256 = sent_hash.HexDigest();

  Sha256 received_hash;
  int64_t received = 0;
  std::string trailer_sha256;
  {
    v1::DownloadRequest request;
    request.set_key(key);
    auto context = TenantContext(tenant, absl::Minutes(10));
    auto reader = harness.stub().Download(context.get(), request);
    v1::DownloadResponse message;
    while (reader->Read(&message)) {
      if (message.has_data()) {
        received_hash.Update(message.data());
        received += static_cast<int64_t>(message.data().size());
      } else if (message.has_trailer()) {
        trailer_sha256 = message.trailer().sha256();
      }
    }
    grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(received, kObjectBytes);
  EXPECT_EQ(received_hash.HexDigest(), sent_sha256);
  EXPECT_EQ(trailer_sha256, sent_sha256);

  absl::StatusOr<int64_t> peak = MemoryBytes(harness.gateway().pid(), "VmHWM");
  ASSERT_TRUE(peak.ok()) << peak.status();
  std::printf("%s: gateway peak RSS after a 1 GiB upload and download: %.1f MiB (sha256 %s)\n",
              DialectName(harness.dialect()).c_str(), static_cast<double>(*peak) / (1 << 20),
              sent_sha256.c_str());
  ::testing::Test::RecordProperty(DialectName(harness.dialect()) + "_gateway_peak_rss_bytes",
                                  std::to_string(*peak));
  EXPECT_LT(*peak, kMaxGatewayPeakRss);
}

TEST(GatewayLargeObjectTest, OneGibRoundTripOnRestIsByteForByteIdentical) {
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start();
  ASSERT_TRUE(harness.ok()) << harness.status();
  RoundTrip(**harness);
}

TEST(GatewayLargeObjectTest, OneGibRoundTripOnS3SurvivesAResetMidPart) {
  OBJGATE_NEED_LOCAL_S3(s3);
  GatewayHarnessOptions options;
  options.dialect = Dialect::kS3;
  options.fault_proxy = true;
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  // Part 64 of 128 (8 MiB parts) loses its connection 4 MiB in.
  ASSERT_TRUE((*harness)
                  ->fault_proxy()
                  ->AddRules(R"({"method": "PUT", "query_contains": "partNumber=64&",
                                 "action": "reset_after_request_bytes", "bytes": 4194304})")
                  .ok());
  RoundTrip(**harness);
  absl::StatusOr<std::vector<faultproxy::LoggedRequest>> seen = (*harness)->fault_proxy()->Log();
  ASSERT_TRUE(seen.ok()) << seen.status();
  int part_64_sends = 0;
  for (const faultproxy::LoggedRequest& request : *seen) {
    if (absl::StrContains(request.target, "partNumber=64&")) {
      ++part_64_sends;
      std::printf("s3: part 64 sent, %s\n",
                  request.action.empty() ? "forwarded" : request.action.c_str());
    }
  }
  EXPECT_EQ(part_64_sends, 2);
}

}  // namespace
}  // namespace objgate::test_support
