// Conditional writes and Copy end to end: a real gateway in front of the reference store
// (rest) and the local Ceph RGW (s3), every case on both dialects, with what each dialect
// can enforce and what it refuses.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::testing::HasSubstr;
using ::testing::Not;

struct CopyOutcome {
  grpc::Status status;
  v1::CopyResponse response;
};

CopyOutcome Copy(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                 const std::string& source, const std::string& destination,
                 const std::string& source_if_match = "") {
  v1::CopyRequest request;
  request.set_source_key(source);
  request.set_destination_key(destination);
  request.set_source_if_match(source_if_match);
  CopyOutcome outcome;
  outcome.status = stub.Copy(TenantContext(tenant).get(), request, &outcome.response);
  return outcome;
}

grpc::Status Delete(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                    const std::string& key, const std::string& if_match) {
  v1::DeleteRequest request;
  request.set_key(key);
  request.set_if_match(if_match);
  v1::DeleteResponse response;
  return stub.Delete(TenantContext(tenant).get(), request, &response);
}

class GatewayConditionalCopyTest : public DialectGatewayTest {
 protected:
  static std::string Tenant() { return TestTenant(); }
  static v1::ObjectStorage::Stub& stub() { return harness().stub(); }
  static std::string EtagOf(const std::string& key) {
    DownloadOutcome down = Download(stub(), Tenant(), key);
    EXPECT_TRUE(down.status.ok()) << down.status.error_message();
    return down.metadata ? down.metadata->etag() : "";
  }
};

TEST_P(GatewayConditionalCopyTest, CreateOnlyUploadStoresOnceAndKeepsTheFirst) {
  UploadOptions create;
  create.if_none_match = "*";
  UploadOutcome first = Upload(stub(), Tenant(), "once", "first", create);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  UploadOutcome second = Upload(stub(), Tenant(), "once", "second", create);
  EXPECT_EQ(second.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << second.status.error_message();
  EXPECT_EQ(Download(stub(), Tenant(), "once").data, "first");
}

TEST_P(GatewayConditionalCopyTest, IfMatchUploadReplacesOnlyTheNamedVersion) {
  UploadOptions replace;
  replace.if_match = "0123456789abcdef";
  UploadOutcome missing = Upload(stub(), Tenant(), "versioned", "v0", replace);
  EXPECT_EQ(missing.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << missing.status.error_message();
  EXPECT_EQ(Download(stub(), Tenant(), "versioned").status.error_code(),
            grpc::StatusCode::NOT_FOUND);

  ASSERT_TRUE(Upload(stub(), Tenant(), "versioned", "v1").status.ok());
  const std::string v1_etag = EtagOf("versioned");
  replace.if_match = v1_etag;
  UploadOutcome second = Upload(stub(), Tenant(), "versioned", "v2", replace);
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  // v1's etag is stale now: a writer that read v1 cannot overwrite v2.
  UploadOutcome stale = Upload(stub(), Tenant(), "versioned", "v3", replace);
  EXPECT_EQ(stale.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Download(stub(), Tenant(), "versioned").data, "v2");
}

TEST_P(GatewayConditionalCopyTest, ConcurrentCreateOnlyUploadsOfOneKeyHaveExactlyOneWinner) {
  constexpr int kWriters = 6;
  for (int round = 0; round < 3; ++round) {
    const std::string key = absl::StrCat("race-", round);
    std::vector<grpc::Status> outcomes(kWriters);
    absl::Barrier* start = new absl::Barrier(kWriters);
    std::vector<std::thread> writers;
    for (int i = 0; i < kWriters; ++i) {
      writers.emplace_back([&, i] {
        UploadOptions create;
        create.if_none_match = "*";
        if (start->Block()) delete start;
        outcomes[i] = Upload(stub(), Tenant(), key, absl::StrCat("writer ", i), create).status;
      });
    }
    for (std::thread& writer : writers) writer.join();
    std::vector<int> winners;
    for (int i = 0; i < kWriters; ++i) {
      if (outcomes[i].ok()) {
        winners.push_back(i);
      } else {
        EXPECT_EQ(outcomes[i].error_code(), grpc::StatusCode::FAILED_PRECONDITION)
            << outcomes[i].error_message();
      }
    }
    ASSERT_EQ(winners.size(), 1u) << "round " << round;
    EXPECT_EQ(Download(stub(), Tenant(), key).data, absl::StrCat("writer ", winners[0]));
  }
}

TEST_P(GatewayConditionalCopyTest, LargeConditionalUploadRefusedWhereUnenforced) {
  // 9 MiB: over the S3 gateway's part size (8 MiB), a multipart upload whose completion
  // Ceph RGW 16 does not check.
  const std::string data = TestBytes(9 << 20);
  UploadOptions create;
  create.if_none_match = "*";
  UploadOutcome up = Upload(stub(), Tenant(), "large-once", data, create);
  if (GetParam() == Dialect::kS3) {
    EXPECT_EQ(up.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_THAT(up.status.error_message(), HasSubstr("--s3_store_conditions=all"));
    EXPECT_EQ(Download(stub(), Tenant(), "large-once").status.error_code(),
              grpc::StatusCode::NOT_FOUND);
  } else {
    ASSERT_TRUE(up.status.ok()) << up.status.error_message();
    EXPECT_EQ(Upload(stub(), Tenant(), "large-once", data, create).status.error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
}

TEST_P(GatewayConditionalCopyTest, ConditionalDeleteIsEnforcedOrRefusedNeverEmulated) {
  ASSERT_TRUE(Upload(stub(), Tenant(), "doomed", "bytes").status.ok());
  const std::string etag = EtagOf("doomed");
  if (GetParam() == Dialect::kS3) {
    grpc::Status refused = Delete(stub(), Tenant(), "doomed", etag);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_THAT(refused.error_message(), HasSubstr("If-Match on a delete"));
    EXPECT_TRUE(Download(stub(), Tenant(), "doomed").status.ok());
    return;
  }
  EXPECT_EQ(Delete(stub(), Tenant(), "doomed", "0123456789abcdef").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Download(stub(), Tenant(), "doomed").status.ok());
  EXPECT_TRUE(Delete(stub(), Tenant(), "doomed", etag).ok());
  EXPECT_EQ(Download(stub(), Tenant(), "doomed").status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Delete(stub(), Tenant(), "doomed", etag).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(GatewayConditionalCopyTest, CopyCarriesBytesTypeMetadataAndChecksum) {
  const std::string data = TestBytes(300000);
  UploadOptions options;
  options.content_type = "text/csv";
  options.metadata = {{"author", "ada"}};
  ASSERT_TRUE(Upload(stub(), Tenant(), "src/table.csv", data, options).status.ok());
  CopyOutcome copied = Copy(stub(), Tenant(), "src/table.csv", "dst/table.csv");
  ASSERT_TRUE(copied.status.ok()) << copied.status.error_message();
  EXPECT_EQ(copied.response.key(), "dst/table.csv");
  EXPECT_EQ(copied.response.size(), 300000);
  EXPECT_EQ(copied.response.sha256(), Sha256::Hex(data));
  EXPECT_FALSE(copied.response.etag().empty());

  DownloadOutcome down = Download(stub(), Tenant(), "dst/table.csv");
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == data);
  EXPECT_EQ(down.trailer->sha256(), Sha256::Hex(data));
  EXPECT_EQ(down.metadata->content_type(), "text/csv");
  EXPECT_EQ(down.metadata->etag(), copied.response.etag());
  // The stored checksum travels with the copy, so whole reads of it are checked.
  EXPECT_EQ(down.metadata->sha256(), Sha256::Hex(data));
  if (GetParam() == Dialect::kS3) {
    EXPECT_EQ(down.metadata->metadata().at("author"), "ada");
  }
  // The source is untouched.
  EXPECT_TRUE(Download(stub(), Tenant(), "src/table.csv").data == data);
}

TEST_P(GatewayConditionalCopyTest, CopyOfAMissingSourceOrAStaleEtagChangesNothing) {
  EXPECT_EQ(Copy(stub(), Tenant(), "nowhere", "dst").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Upload(stub(), Tenant(), "src", "new bytes").status.ok());
  ASSERT_TRUE(Upload(stub(), Tenant(), "dst", "old bytes").status.ok());
  CopyOutcome stale = Copy(stub(), Tenant(), "src", "dst", "0123456789abcdef");
  EXPECT_EQ(stale.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << stale.status.error_message();
  EXPECT_EQ(Download(stub(), Tenant(), "dst").data, "old bytes");
  CopyOutcome pinned = Copy(stub(), Tenant(), "src", "dst", EtagOf("src"));
  ASSERT_TRUE(pinned.status.ok()) << pinned.status.error_message();
  EXPECT_EQ(Download(stub(), Tenant(), "dst").data, "new bytes");
  EXPECT_EQ(Copy(stub(), Tenant(), "", "dst").status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(GatewayConditionalCopyTest, CopiesStayInsideTheirTenant) {
  const std::string other = Tenant() + "-other";
  ASSERT_TRUE(Upload(stub(), Tenant(), "private", "mine").status.ok());
  EXPECT_EQ(Copy(stub(), other, "private", "stolen").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Download(stub(), other, "stolen").status.error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Copy(stub(), Tenant(), "private", "copy").status.ok());
  EXPECT_EQ(Download(stub(), other, "copy").status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(GatewayConditionalCopyTest, LargeCopyPinnedToTheSourceEtagIsStreamedInWindows) {
  // 20 MiB: three windows of the streamed copy (on S3, a source etag that Ceph RGW 16
  // would not enforce makes the gateway stream it), each GET pinned with If-Match.
  const std::string data = TestBytes(20 << 20);
  ASSERT_TRUE(Upload(stub(), Tenant(), "large-src", data).status.ok());
  CopyOutcome copied = Copy(stub(), Tenant(), "large-src", "large-dst", EtagOf("large-src"));
  ASSERT_TRUE(copied.status.ok()) << copied.status.error_message();
  EXPECT_EQ(copied.response.size(), 20 << 20);
  EXPECT_EQ(copied.response.sha256(), Sha256::Hex(data));
  DownloadOutcome down = Download(stub(), Tenant(), "large-dst");
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.trailer->sha256(), Sha256::Hex(data));
}

INSTANTIATE_TEST_SUITE_P(Dialects, GatewayConditionalCopyTest, kBothDialects, DialectTestName);

// A REST store that does not declare conditional writes (as the published server does not)
// gets none: the gateway refuses them rather than let the store ignore the header.
TEST(GatewayConditionalWritesTest, StoreThatDoesNotDeclareThemGetsNone) {
  GatewayHarnessOptions options;
  options.refstore_args = {"--conditional_writes=false"};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  v1::ObjectStorage::Stub& stub = (*harness)->stub();
  v1::ServerInfo info;
  grpc::ClientContext context;
  ASSERT_TRUE(stub.GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  EXPECT_THAT(info.capabilities(), Not(::testing::Contains("conditional_upload")));

  ASSERT_TRUE(Upload(stub, "t1", "k", "first").status.ok());
  UploadOptions create;
  create.if_none_match = "*";
  UploadOutcome up = Upload(stub, "t1", "k", "second", create);
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(up.status.error_message(), HasSubstr("conditional_writes"));
  EXPECT_EQ(Delete(stub, "t1", "k", "whatever").error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Download(stub, "t1", "k").data, "first");
  // Copies need no capability: the gateway streams them.
  EXPECT_TRUE(Copy(stub, "t1", "k", "k2").status.ok());
}

}  // namespace
}  // namespace objgate::test_support
