// Resumable uploads end to end, on both dialects: a real gateway in front of the reference
// store (its multipart uploads) and the local Ceph RGW (S3 multipart uploads). Started,
// paused, queried, continued through another gateway in front of the same store, completed
// or cancelled; isolated per tenant.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::testing::HasSubstr;

constexpr int64_t kPartBytes = 8 << 20;

absl::StatusOr<v1::StartResumableUploadResponse> Start(v1::ObjectStorage::Stub& stub,
                                                       const std::string& tenant,
                                                       const v1::ObjectSpec& spec) {
  v1::StartResumableUploadRequest request;
  *request.mutable_spec() = spec;
  v1::StartResumableUploadResponse response;
  grpc::Status status = stub.StartResumableUpload(TenantContext(tenant).get(), request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return response;
}

grpc::Status Query(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                   const std::string& upload_id, v1::QueryUploadStatusResponse& response) {
  v1::QueryUploadStatusRequest request;
  request.set_upload_id(upload_id);
  return stub.QueryUploadStatus(TenantContext(tenant).get(), request, &response);
}

grpc::Status Cancel(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                    const std::string& upload_id) {
  v1::CancelResumableUploadRequest request;
  request.set_upload_id(upload_id);
  v1::CancelResumableUploadResponse response;
  return stub.CancelResumableUpload(TenantContext(tenant).get(), request, &response);
}

class GatewayResumableTest : public DialectGatewayTest {
 protected:
  static std::string Tenant() { return TestTenant(); }
  static v1::ObjectStorage::Stub& stub() { return harness().stub(); }

  // A second gateway in front of the same store, as another replica behind a balancer.
  static std::unique_ptr<GatewayHarness> SecondGateway() {
    GatewayHarnessOptions options;
    options.dialect = GetParam();
    if (GetParam() == Dialect::kRest) {
      options.upstream_url = harness().upstream_url();
    } else {
      options.gateway_args = {"--s3_bucket=" + harness().s3().bucket};
    }
    absl::StatusOr<std::unique_ptr<GatewayHarness>> second = GatewayHarness::Start(options);
    EXPECT_TRUE(second.ok()) << second.status();
    return second.ok() ? *std::move(second) : nullptr;
  }
};

TEST_P(GatewayResumableTest, PausedUploadContinuesThroughAnotherGatewayAndCompletes) {
  const std::string data = TestBytes(2 * kPartBytes + 12345);
  v1::ObjectSpec spec;
  spec.set_key("videos/big.bin");
  spec.set_content_type("video/mp4");
  spec.set_sha256(Sha256::Hex(data));
  spec.set_size(static_cast<int64_t>(data.size()));
  absl::StatusOr<v1::StartResumableUploadResponse> started = Start(stub(), Tenant(), spec);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->part_bytes(), kPartBytes);

  // The first stream sends a part and a half and stops: the whole part is kept.
  UploadOutcome first =
      ContinueUpload(stub(), Tenant(), started->upload_id(), 0,
                     absl::string_view(data).substr(0, kPartBytes + kPartBytes / 2),
                     /*finish=*/false);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_FALSE(first.response.complete());
  EXPECT_EQ(first.response.persisted_size(), kPartBytes);
  // Nothing is visible before completion.
  EXPECT_EQ(Download(stub(), Tenant(), "videos/big.bin").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListRequest list;
  list.set_prefix("videos/");
  ListOutcome listed = List(stub(), Tenant(), list);
  ASSERT_TRUE(listed.status.ok());
  EXPECT_TRUE(listed.keys.empty());

  // Another gateway knows the upload from the store alone.
  std::unique_ptr<GatewayHarness> second = SecondGateway();
  ASSERT_NE(second, nullptr);
  v1::QueryUploadStatusResponse status;
  ASSERT_TRUE(Query(second->stub(), Tenant(), started->upload_id(), status).ok());
  EXPECT_EQ(status.persisted_size(), kPartBytes);
  EXPECT_FALSE(status.complete());
  EXPECT_EQ(status.key(), "videos/big.bin");

  UploadOutcome rest = ContinueUpload(second->stub(), Tenant(), started->upload_id(), kPartBytes,
                                      absl::string_view(data).substr(kPartBytes), /*finish=*/true);
  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  EXPECT_TRUE(rest.response.complete());
  EXPECT_EQ(rest.response.size(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(rest.response.key(), "videos/big.bin");

  DownloadOutcome down = Download(stub(), Tenant(), "videos/big.bin");
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == data);
  EXPECT_EQ(down.trailer->sha256(), Sha256::Hex(data));
  EXPECT_EQ(down.metadata->sha256(), Sha256::Hex(data));
  EXPECT_EQ(down.metadata->content_type(), "video/mp4");

  ASSERT_TRUE(Query(stub(), Tenant(), started->upload_id(), status).ok());
  EXPECT_TRUE(status.complete());
  EXPECT_EQ(status.persisted_size(), static_cast<int64_t>(data.size()));
  // Sent again after a lost answer, the completion answers the same object.
  UploadOutcome again =
      ContinueUpload(stub(), Tenant(), started->upload_id(), 0, "", /*finish=*/true);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_TRUE(again.response.complete());
  EXPECT_EQ(Cancel(stub(), Tenant(), started->upload_id()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_P(GatewayResumableTest, CancelledUploadLeavesNothing) {
  v1::ObjectSpec spec;
  spec.set_key("cancelled");
  absl::StatusOr<v1::StartResumableUploadResponse> started = Start(stub(), Tenant(), spec);
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(
      ContinueUpload(stub(), Tenant(), started->upload_id(), 0, TestBytes(kPartBytes), false)
          .status.ok());
  ASSERT_TRUE(Cancel(stub(), Tenant(), started->upload_id()).ok());
  v1::QueryUploadStatusResponse status;
  EXPECT_EQ(Query(stub(), Tenant(), started->upload_id(), status).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(
      ContinueUpload(stub(), Tenant(), started->upload_id(), 0, "x", true).status.error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Cancel(stub(), Tenant(), started->upload_id()).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Download(stub(), Tenant(), "cancelled").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(GatewayResumableTest, AnotherTenantCannotQueryContinueOrCancel) {
  const std::string other = Tenant() + "-other";
  v1::ObjectSpec spec;
  spec.set_key("mine");
  absl::StatusOr<v1::StartResumableUploadResponse> started = Start(stub(), Tenant(), spec);
  ASSERT_TRUE(started.ok()) << started.status();
  v1::QueryUploadStatusResponse status;
  EXPECT_EQ(Query(stub(), other, started->upload_id(), status).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(
      ContinueUpload(stub(), other, started->upload_id(), 0, "theirs", true).status.error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Cancel(stub(), other, started->upload_id()).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Download(stub(), other, "mine").status.error_code(), grpc::StatusCode::NOT_FOUND);
  // Still the owner's to finish.
  UploadOutcome done = ContinueUpload(stub(), Tenant(), started->upload_id(), 0, "my bytes", true);
  ASSERT_TRUE(done.status.ok()) << done.status.error_message();
  EXPECT_EQ(Download(stub(), Tenant(), "mine").data, "my bytes");
}

TEST_P(GatewayResumableTest, BadIdsAndOffsetsAreRefused) {
  v1::QueryUploadStatusResponse status;
  grpc::Status bad = Query(stub(), Tenant(), "not-an-upload-id", status);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("upload_id"));
  v1::ObjectSpec spec;
  spec.set_key("offsets");
  absl::StatusOr<v1::StartResumableUploadResponse> started = Start(stub(), Tenant(), spec);
  ASSERT_TRUE(started.ok()) << started.status();
  UploadOutcome past = ContinueUpload(stub(), Tenant(), started->upload_id(), 10, "bytes", true);
  EXPECT_EQ(past.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  spec.set_key("");
  EXPECT_EQ(Start(stub(), Tenant(), spec).status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(Cancel(stub(), Tenant(), started->upload_id()).ok());
}

TEST_P(GatewayResumableTest, ServerInfoListsResumableUploads) {
  v1::ServerInfo info;
  grpc::ClientContext context;
  ASSERT_TRUE(stub().GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  EXPECT_THAT(info.capabilities(), ::testing::Contains("resumable_upload"));
}

INSTANTIATE_TEST_SUITE_P(Dialects, GatewayResumableTest, kBothDialects, DialectTestName);

}  // namespace
}  // namespace objgate::test_support
