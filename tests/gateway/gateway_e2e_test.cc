// The gateway end to end: a real gateway on loopback in front of a real store, called
// through the generated C++ stubs, for every RPC and every status code it documents. Each
// case runs on both dialects: against the reference store (rest) and the local Ceph RGW
// (s3).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class GatewayE2ETest : public DialectGatewayTest {
 protected:
  static std::string Tenant() { return TestTenant(); }
  static v1::ObjectStorage::Stub& stub() { return harness().stub(); }
};

TEST_P(GatewayE2ETest, UploadThenDownloadReturnsTheSameBytesAndChecksums) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{65536}, size_t{3 << 20} + 17}) {
    const std::string key = absl::StrCat("objects/", size, ".bin");
    const std::string data = TestBytes(size);
    UploadOutcome up = Upload(stub(), Tenant(), key, data);
    ASSERT_TRUE(up.status.ok()) << size << ": " << up.status.error_message();
    EXPECT_EQ(up.response.key(), key);
    EXPECT_EQ(up.response.size(), static_cast<int64_t>(size));
    EXPECT_EQ(up.response.sha256(), Sha256::Hex(data));

    DownloadOutcome down = Download(stub(), Tenant(), key);
    ASSERT_TRUE(down.status.ok()) << size << ": " << down.status.error_message();
    ASSERT_TRUE(down.metadata.has_value());
    EXPECT_EQ(down.metadata->size(), static_cast<int64_t>(size));
    EXPECT_EQ(down.metadata->length(), static_cast<int64_t>(size));
    EXPECT_FALSE(down.metadata->etag().empty());
    EXPECT_TRUE(down.data == data) << "bytes differ for size " << size;
    ASSERT_TRUE(down.trailer.has_value());
    EXPECT_EQ(down.trailer->sha256(), Sha256::Hex(data));
    EXPECT_EQ(down.trailer->size(), static_cast<int64_t>(size));
  }
}

TEST_P(GatewayE2ETest, DeclaredSizeAndChecksumThatMatchAreAccepted) {
  const std::string data = TestBytes(100000);
  UploadOptions options;
  options.declared_size = data.size();
  options.sha256 = Sha256::Hex(data);
  options.content_type = "text/plain";
  UploadOutcome up = Upload(stub(), Tenant(), "declared", data, options);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  DownloadOutcome down = Download(stub(), Tenant(), "declared");
  ASSERT_TRUE(down.status.ok());
  EXPECT_EQ(down.metadata->content_type(), "text/plain");
}

TEST_P(GatewayE2ETest, UploadWithWrongSha256LeavesNoObject) {
  UploadOptions options;
  options.sha256 = Sha256::Hex("something else");
  UploadOutcome up = Upload(stub(), Tenant(), "bad-sum", TestBytes(200000), options);
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(up.status.error_message(), HasSubstr("SHA-256"));
  EXPECT_EQ(Download(stub(), Tenant(), "bad-sum").status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(GatewayE2ETest, FailedOverwriteKeepsTheOldObject) {
  ASSERT_TRUE(Upload(stub(), Tenant(), "keep", "old contents").status.ok());
  UploadOptions options;
  options.declared_size = 1000;
  UploadOutcome up = Upload(stub(), Tenant(), "keep", TestBytes(999), options);
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(up.status.error_message(), HasSubstr("declared 1000 bytes but sent 999"));
  EXPECT_EQ(Download(stub(), Tenant(), "keep").data, "old contents");
}

TEST_P(GatewayE2ETest, DataPastTheDeclaredSizeIsRefused) {
  UploadOptions options;
  options.declared_size = 10;
  UploadOutcome up = Upload(stub(), Tenant(), "too-much", TestBytes(11), options);
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Download(stub(), Tenant(), "too-much").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(GatewayE2ETest, UploadWithoutSpecIsInvalidArgument) {
  v1::UploadResponse response;
  auto context = TenantContext(Tenant());
  auto writer = stub().Upload(context.get(), &response);
  v1::UploadRequest message;
  message.set_data("bytes first");
  writer->Write(message);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("must carry spec"));
}

TEST_P(GatewayE2ETest, RangedDownloadReturnsExactlyTheRange) {
  const std::string data = TestBytes(1 << 20);
  ASSERT_TRUE(Upload(stub(), Tenant(), "ranged", data).status.ok());
  v1::DownloadRequest request;
  request.set_key("ranged");
  request.set_offset(1000);
  request.set_limit(70000);
  DownloadOutcome down = Download(stub(), Tenant(), request);
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.metadata->size(), 1 << 20);
  EXPECT_EQ(down.metadata->offset(), 1000);
  EXPECT_EQ(down.metadata->length(), 70000);
  EXPECT_TRUE(down.data == data.substr(1000, 70000));
  EXPECT_EQ(down.trailer->sha256(), Sha256::Hex(data.substr(1000, 70000)));

  request.set_offset((1 << 20) - 10);
  request.set_limit(0);
  down = Download(stub(), Tenant(), request);
  ASSERT_TRUE(down.status.ok());
  EXPECT_EQ(down.data, data.substr((1 << 20) - 10));
}

TEST_P(GatewayE2ETest, OffsetPastTheEndIsOutOfRange) {
  ASSERT_TRUE(Upload(stub(), Tenant(), "short", "12345").status.ok());
  v1::DownloadRequest request;
  request.set_key("short");
  request.set_offset(5);
  EXPECT_EQ(Download(stub(), Tenant(), request).status.error_code(),
            grpc::StatusCode::OUT_OF_RANGE);
}

TEST_P(GatewayE2ETest, IfMatchOfAnotherVersionIsFailedPrecondition) {
  ASSERT_TRUE(Upload(stub(), Tenant(), "versioned", "v1").status.ok());
  const std::string etag = Download(stub(), Tenant(), "versioned").metadata->etag();
  v1::DownloadRequest request;
  request.set_key("versioned");
  request.set_if_match(etag);
  EXPECT_TRUE(Download(stub(), Tenant(), request).status.ok());
  ASSERT_TRUE(Upload(stub(), Tenant(), "versioned", "v2").status.ok());
  EXPECT_EQ(Download(stub(), Tenant(), request).status.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_P(GatewayE2ETest, MissingObjectIsNotFound) {
  EXPECT_EQ(Download(stub(), Tenant(), "nothing here").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::DeleteRequest request;
  request.set_key("nothing here");
  v1::DeleteResponse response;
  EXPECT_EQ(stub().Delete(TenantContext(Tenant()).get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(GatewayE2ETest, DeleteRemovesTheObject) {
  ASSERT_TRUE(Upload(stub(), Tenant(), "doomed", "x").status.ok());
  v1::DeleteRequest request;
  request.set_key("doomed");
  v1::DeleteResponse response;
  ASSERT_TRUE(stub().Delete(TenantContext(Tenant()).get(), request, &response).ok());
  EXPECT_EQ(Download(stub(), Tenant(), "doomed").status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(GatewayE2ETest, ListStreamsPagesInKeyOrder) {
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) {
    const std::string key = absl::StrCat("logs/", i);
    ASSERT_TRUE(Upload(stub(), Tenant(), key, "x").status.ok());
    expected.push_back(key);
  }
  ASSERT_TRUE(Upload(stub(), Tenant(), "other/a", "x").status.ok());

  v1::ListRequest request;
  request.set_prefix("logs/");
  request.set_page_size(3);
  ListOutcome listed = List(stub(), Tenant(), request);
  ASSERT_TRUE(listed.status.ok()) << listed.status.error_message();
  EXPECT_EQ(listed.keys, expected);
  ASSERT_EQ(listed.pages.size(), 4u);
  EXPECT_THAT(listed.pages.back(), ElementsAre("logs/9"));

  request.set_start_after("logs/6");
  request.set_limit(2);
  listed = List(stub(), Tenant(), request);
  ASSERT_TRUE(listed.status.ok());
  EXPECT_THAT(listed.keys, ElementsAre("logs/7", "logs/8"));
}

TEST_P(GatewayE2ETest, EmptyListingIsOneEmptyPage) {
  ListOutcome listed = List(stub(), Tenant(), v1::ListRequest());
  ASSERT_TRUE(listed.status.ok());
  ASSERT_EQ(listed.pages.size(), 1u);
  EXPECT_THAT(listed.pages[0], IsEmpty());
}

TEST_P(GatewayE2ETest, ListEntriesCarrySizeEtagAndTime) {
  ASSERT_TRUE(Upload(stub(), Tenant(), "sized", TestBytes(1234)).status.ok());
  auto context = TenantContext(Tenant());
  auto reader = stub().List(context.get(), v1::ListRequest());
  v1::ListResponse page;
  ASSERT_TRUE(reader->Read(&page));
  ASSERT_EQ(page.entries_size(), 1);
  EXPECT_EQ(page.entries(0).size(), 1234);
  EXPECT_FALSE(page.entries(0).etag().empty());
  EXPECT_GT(page.entries(0).last_modified().seconds(), 1700000000);
  while (reader->Read(&page)) {
  }
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_P(GatewayE2ETest, TenantsNeverSeeEachOthersObjects) {
  const std::string a = Tenant() + "-a";
  const std::string b = Tenant() + "-b";
  ASSERT_TRUE(Upload(stub(), a, "secret", "for a only").status.ok());
  EXPECT_EQ(Download(stub(), b, "secret").status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(List(stub(), b, v1::ListRequest()).keys, IsEmpty());
  v1::DeleteRequest request;
  request.set_key("secret");
  v1::DeleteResponse response;
  EXPECT_EQ(stub().Delete(TenantContext(b).get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Upload(stub(), b, "secret", "b's own").status.ok());
  EXPECT_EQ(Download(stub(), a, "secret").data, "for a only");
}

TEST_P(GatewayE2ETest, MissingTenantIsUnauthenticatedAndMalformedIsInvalid) {
  EXPECT_EQ(Download(stub(), "", "k").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Upload(stub(), "", "k", "x").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(List(stub(), "", v1::ListRequest()).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  DownloadOutcome bad = Download(stub(), "../etc", "k");
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.status.error_message(), HasSubstr("x-tenant-id"));
}

TEST_P(GatewayE2ETest, BadFieldsAreInvalidArgument) {
  EXPECT_EQ(Download(stub(), Tenant(), "").status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Upload(stub(), Tenant(), std::string(1025, 'k'), "x").status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::DownloadRequest negative;
  negative.set_key("k");
  negative.set_offset(-1);
  EXPECT_EQ(Download(stub(), Tenant(), negative).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListRequest huge_page;
  huge_page.set_page_size(1000000);
  EXPECT_EQ(List(stub(), Tenant(), huge_page).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(GatewayE2ETest, StreamClosedWithoutFinishWriteStoresNothing) {
  // Without a declared size, only finish_write tells a whole body from a broken stream.
  UploadOptions options;
  options.finish_write = false;
  UploadOutcome up = Upload(stub(), Tenant(), "unfinished", TestBytes(100000), options);
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(up.status.error_message(), HasSubstr("without finish_write"));
  EXPECT_EQ(Download(stub(), Tenant(), "unfinished").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  options.declared_size = 100000;
  EXPECT_TRUE(Upload(stub(), Tenant(), "sized", TestBytes(100000), options).status.ok())
      << "a declared size that is reached completes the body";
}

TEST_P(GatewayE2ETest, OversizedMessageIsResourceExhausted) {
  // The gateway accepts messages of up to 4 MiB by default.
  UploadOptions options;
  options.chunk_bytes = 5 << 20;
  UploadOutcome up = Upload(stub(), Tenant(), "oversized", TestBytes(5 << 20), options);
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Download(stub(), Tenant(), "oversized").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(GatewayE2ETest, KeyThatIsNotUtf8IsInvalidArgument) {
  // proto3 strings are UTF-8: the gateway cannot parse such a request, and says so.
  DownloadOutcome down = Download(stub(), Tenant(), std::string("bad\xff\xfekey"));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(down.status.error_message(), HasSubstr("not a valid storage.v1.DownloadRequest"));
  UploadOutcome up = Upload(stub(), Tenant(), std::string("bad\xff\xfekey"), "data");
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(up.status.error_message(), HasSubstr("not a valid storage.v1.UploadRequest"));
  EXPECT_TRUE(Upload(stub(), Tenant(), "after-bad-key", "still serving").status.ok());
}

TEST_P(GatewayE2ETest, PathLikeKeysAreOrdinaryKeys) {
  for (const std::string key : {"../../etc/passwd", "/abs", "a/./b", "spaces and ünïcode"}) {
    ASSERT_TRUE(Upload(stub(), Tenant(), key, key).status.ok()) << key;
    EXPECT_EQ(Download(stub(), Tenant(), key).data, key);
  }
}

TEST_P(GatewayE2ETest, StatDescribesAnObjectAndDownloadSaysTheSame) {
  const std::string data = TestBytes(70000);
  UploadOptions options;
  options.content_type = "text/csv";
  options.sha256 = Sha256::Hex(data);
  options.metadata = {{"author", "ada"}, {"run-id", "42"}};
  const absl::Time before = absl::Now() - absl::Seconds(2);
  UploadOutcome up = Upload(stub(), Tenant(), "tables/t.csv", data, options);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();

  v1::StatRequest request;
  request.set_key("tables/t.csv");
  v1::ObjectInfo info;
  grpc::Status status = stub().Stat(TenantContext(Tenant()).get(), request, &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.key(), "tables/t.csv");
  EXPECT_EQ(info.size(), 70000);
  EXPECT_EQ(info.etag(), up.response.etag());
  EXPECT_EQ(info.content_type(), "text/csv");
  EXPECT_EQ(info.sha256(), Sha256::Hex(data));
  EXPECT_GE(absl::FromUnixSeconds(info.last_modified().seconds()), before - absl::Seconds(1));
  EXPECT_LE(absl::FromUnixSeconds(info.last_modified().seconds()), absl::Now() + absl::Seconds(2));
  // S3 keeps user metadata; the reference store keeps none, and says so.
  v1::ServerInfo server;
  grpc::ClientContext context;
  ASSERT_TRUE(stub().GetServerInfo(&context, v1::GetServerInfoRequest(), &server).ok());
  const bool keeps_metadata =
      std::count(server.capabilities().begin(), server.capabilities().end(), "user_metadata") > 0;
  EXPECT_EQ(keeps_metadata, GetParam() == Dialect::kS3);
  if (keeps_metadata) {
    EXPECT_EQ(info.metadata().size(), 2u);
    EXPECT_EQ(info.metadata().at("author"), "ada");
    EXPECT_EQ(info.metadata().at("run-id"), "42");
  } else {
    EXPECT_THAT(info.metadata(), IsEmpty());
  }

  DownloadOutcome down = Download(stub(), Tenant(), "tables/t.csv");
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.metadata->last_modified().seconds(), info.last_modified().seconds());
  EXPECT_EQ(down.metadata->metadata().size(), info.metadata().size());
}

TEST_P(GatewayE2ETest, DelimiterListsFoldersOnceInKeyOrder) {
  for (const std::string key : {"a.txt", "docs/1", "docs/2", "docs/sub/3", "e.txt",
                                "photos/2024/x.jpg", "photos/2024/y.jpg", "photos/z.jpg", "z"}) {
    ASSERT_TRUE(Upload(stub(), Tenant(), key, key).status.ok()) << key;
  }
  auto list = [&](const std::string& prefix, const std::string& start_after, int page_size,
                  int64_t limit = 0) {
    v1::ListRequest request;
    request.set_prefix(prefix);
    request.set_delimiter("/");
    request.set_start_after(start_after);
    request.set_page_size(page_size);
    request.set_limit(limit);
    auto context = TenantContext(Tenant());
    auto reader = stub().List(context.get(), request);
    std::vector<std::string> items;
    v1::ListResponse page;
    while (reader->Read(&page)) {
      EXPECT_LE(page.entries_size() + page.prefixes_size(), page_size);
      std::vector<std::string> page_items;
      for (const auto& entry : page.entries()) page_items.push_back(entry.key());
      for (const auto& prefix : page.prefixes()) page_items.push_back(prefix + " (folder)");
      std::sort(page_items.begin(), page_items.end());
      items.insert(items.end(), page_items.begin(), page_items.end());
    }
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return items;
  };
  EXPECT_THAT(list("", "", 1000),
              ElementsAre("a.txt", "docs/ (folder)", "e.txt", "photos/ (folder)", "z"));
  EXPECT_THAT(list("photos/", "", 1000), ElementsAre("photos/2024/ (folder)", "photos/z.jpg"));
  // Small pages, and continuing from a folder, skip nothing and repeat nothing.
  EXPECT_THAT(list("", "", 2),
              ElementsAre("a.txt", "docs/ (folder)", "e.txt", "photos/ (folder)", "z"));
  EXPECT_THAT(list("", "docs/", 1000), ElementsAre("e.txt", "photos/ (folder)", "z"));
  EXPECT_THAT(list("", "", 1000, 2), ElementsAre("a.txt", "docs/ (folder)"));
  // Another tenant's folders never show.
  v1::ListRequest other;
  other.set_delimiter("/");
  EXPECT_THAT(List(stub(), Tenant() + "-other", other).keys, IsEmpty());
}

TEST_P(GatewayE2ETest, LongDelimiterIsInvalidArgument) {
  v1::ListRequest request;
  request.set_delimiter(std::string(17, '/'));
  EXPECT_EQ(List(stub(), Tenant(), request).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(GatewayE2ETest, StatOfEmptyMissingAndOtherTenantsObjects) {
  ASSERT_TRUE(Upload(stub(), Tenant(), "empty", "").status.ok());
  auto stat = [&](const std::string& tenant, const std::string& key, v1::ObjectInfo& info) {
    v1::StatRequest request;
    request.set_key(key);
    return stub().Stat(TenantContext(tenant).get(), request, &info);
  };
  v1::ObjectInfo info;
  grpc::Status status = stat(Tenant(), "empty", info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.size(), 0);
  EXPECT_EQ(info.sha256(), Sha256::Hex(""));
  EXPECT_EQ(stat(Tenant(), "missing", info).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stat(Tenant() + "-other", "empty", info).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stat(Tenant(), "", info).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(GatewayE2ETest, GetServerInfoReportsUpstreamAndGateway) {
  v1::ServerInfo info;
  grpc::ClientContext context;
  ASSERT_TRUE(stub().GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  EXPECT_EQ(info.status(), "ok");
  EXPECT_EQ(info.dialect(), DialectName(GetParam()));
  if (GetParam() == Dialect::kS3) {
    // Ceph RGW 16 enforces PutObject's conditions only (--s3_store_conditions=put_object).
    EXPECT_THAT(info.capabilities(), ElementsAre("stat", "user_metadata", "delimiter", "copy",
                                                 "conditional_upload", "resumable_upload"));
  } else {
    // The reference store declares conditional writes and multipart uploads.
    EXPECT_THAT(info.capabilities(), ElementsAre("stat", "delimiter", "copy", "conditional_upload",
                                                 "conditional_delete", "resumable_upload"));
  }
  if (GetParam() == Dialect::kRest) {
    EXPECT_FALSE(info.version().empty());
    EXPECT_FALSE(info.performance().empty());
  }
  // S3 reports no performance, and RGW's beast frontend sends no Server header: the
  // version is whatever the endpoint says it is, possibly nothing.
  EXPECT_FALSE(info.gateway_version().empty());
}

TEST_P(GatewayE2ETest, HealthReportsLiveAndReadyUpstream) {
  v1::HealthResponse health;
  grpc::ClientContext context;
  ASSERT_TRUE(stub().Health(&context, v1::HealthRequest(), &health).ok());
  EXPECT_TRUE(health.live());
  EXPECT_TRUE(health.ready());
  EXPECT_EQ(health.detail(), "");
}

TEST_P(GatewayE2ETest, StandardHealthServiceTurnsServing) {
  // The first readiness probe runs at startup.
  EXPECT_TRUE(WaitUntilServing(harness().channel()));
}

// What grpcurl, grpc_cli and Postman do before a call: list the services, then ask for the
// file that defines each. Every service listed must be describable.
TEST_P(GatewayE2ETest, ReflectionDescribesEveryServiceItLists) {
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(harness().channel());
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("*");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, Contains("storage.v1.ObjectStorage"));
  ASSERT_THAT(names, Contains("grpc.health.v1.Health"));
  for (const std::string& name : names) {
    request.set_file_containing_symbol(name);
    ASSERT_TRUE(stream->Write(request));
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_FALSE(response.has_error_response())
        << name << ": " << response.error_response().error_message();
    EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0) << name;
  }
  stream->WritesDone();
  stream->Finish();
}

INSTANTIATE_TEST_SUITE_P(Dialects, GatewayE2ETest, kBothDialects, DialectTestName);

TEST(GatewayUpstreamTest, QuotaExceededIsResourceExhausted) {
  GatewayHarnessOptions options;
  options.refstore_args = {"--quota_bytes=1000"};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  UploadOutcome up = Upload((*harness)->stub(), "quota-tenant", "big", TestBytes(5000));
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(up.status.error_message(), HasSubstr("uota"));
  EXPECT_EQ(Download((*harness)->stub(), "quota-tenant", "big").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// The dialect allows a store without list pagination (the published reference server is
// one): it honours max_keys but says nothing of what follows and ignores start_after. A
// listing through the gateway must still hold every key, paged as the caller asked.
TEST(GatewayUpstreamTest, ListingOfAStoreThatDoesNotPaginateDropsNoKey) {
  GatewayHarnessOptions options;
  options.refstore_args = {"--list_pagination=false"};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  std::vector<std::string> all;
  for (int i = 0; i < 25; ++i) {
    all.push_back(absl::StrCat("k", i < 10 ? "0" : "", i));
    ASSERT_TRUE(Upload((*harness)->stub(), "flat", all.back(), "x").status.ok());
  }
  v1::ListRequest paged;
  paged.set_page_size(3);
  ListOutcome outcome = List((*harness)->stub(), "flat", paged);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(outcome.keys, all);
  EXPECT_THAT(outcome.pages, SizeIs(9));

  v1::ListRequest rest = paged;
  rest.set_start_after("k10");
  outcome = List((*harness)->stub(), "flat", rest);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(outcome.keys, std::vector<std::string>(all.begin() + 11, all.end()));

  v1::ListRequest limited;
  limited.set_limit(7);
  limited.set_start_after("k20");
  outcome = List((*harness)->stub(), "flat", limited);
  EXPECT_THAT(outcome.keys, ElementsAre("k21", "k22", "k23", "k24"));
}

TEST(GatewayUpstreamTest, UpstreamDownIsUnavailableAndHealthSaysSo) {
  GatewayHarnessOptions options;
  // Port 1 on loopback: nothing listens there, connections are refused at once.
  options.upstream_url = "http://127.0.0.1:1";
  options.gateway_args = {"--max_retries=2"};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  DownloadOutcome down = Download((*harness)->stub(), "t", "k");
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.status.error_message(), HasSubstr("after 3 attempts"));

  v1::HealthResponse health;
  grpc::ClientContext context;
  ASSERT_TRUE((*harness)->stub().Health(&context, v1::HealthRequest(), &health).ok());
  EXPECT_FALSE(health.live());
  EXPECT_FALSE(health.ready());
  EXPECT_FALSE(health.detail().empty());
}

}  // namespace
}  // namespace objgate::test_support
