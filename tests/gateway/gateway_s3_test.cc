// What only the S3 dialect has, against the local Ceph RGW (tests/support/local_s3.h):
// tenant prefixes that no key escapes, multipart uploads whose parts survive a broken
// connection and that leave nothing behind when they fail, S3's error codes, and the
// configuration mistakes an operator makes. The cases that hold on both dialects are in
// gateway_e2e_test.cc.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/temp_dir.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kPartBytes = 5 << 20;

// A gateway on the local S3 with 5 MiB parts, behind a fault proxy, shared by the suite.
class GatewayS3Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!FindLocalS3().ok()) return;  // each test skips or fails in SetUp
    GatewayHarnessOptions options;
    options.dialect = Dialect::kS3;
    options.fault_proxy = true;
    options.gateway_args = {absl::StrCat("--s3_part_bytes=", kPartBytes)};
    absl::StatusOr<std::unique_ptr<GatewayHarness>> started = GatewayHarness::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    harness_ = started->release();
    absl::StatusOr<std::unique_ptr<S3TestClient>> s3 = S3TestClient::Create(harness_->s3());
    ASSERT_TRUE(s3.ok()) << s3.status();
    s3_ = s3->release();
  }
  static void TearDownTestSuite() {
    delete harness_;
    delete s3_;
    harness_ = nullptr;
    s3_ = nullptr;
  }
  void SetUp() override {
    OBJGATE_NEED_LOCAL_S3(s3);
    ASSERT_NE(harness_, nullptr);
    ASSERT_TRUE(harness_->fault_proxy()->ClearRules().ok());
    ASSERT_TRUE(harness_->fault_proxy()->ClearLog().ok());
  }

  static v1::ObjectStorage::Stub& stub() { return harness_->stub(); }
  static S3TestClient& s3() { return *s3_; }
  static const std::string& bucket() { return harness_->s3().bucket; }
  static std::string Tenant() {
    return absl::StrCat("s3-", ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  // The path the fault proxy sees for a key of this test's tenant.
  static std::string PathOf(absl::string_view key) {
    return absl::StrCat("/", bucket(), "/", Tenant(), "/", key);
  }
  static faultproxy::FaultProxyClient& proxy() { return *harness_->fault_proxy(); }

  // Waits until no multipart upload of this test's tenant is in progress; false if some
  // still are after `timeout` (the gateway aborts them as the failed call ends, but the
  // caller may see its error first).
  static bool NoUploadsLeft(absl::Duration timeout = absl::Seconds(15)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      absl::StatusOr<std::vector<MultipartUploadEntry>> uploads =
          s3().ListMultipartUploads(bucket(), absl::StrCat(Tenant(), "/"));
      if (uploads.ok() && uploads->empty()) return true;
      if (absl::Now() > deadline) {
        ADD_FAILURE() << (uploads.ok() ? absl::StrCat(uploads->size(), " uploads left")
                                       : uploads.status().ToString());
        return false;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

 private:
  static GatewayHarness* harness_;
  static S3TestClient* s3_;
};

GatewayHarness* GatewayS3Test::harness_ = nullptr;
S3TestClient* GatewayS3Test::s3_ = nullptr;

TEST_F(GatewayS3Test, KeysStayUnderTheTenantPrefix) {
  const std::string attacker = Tenant();
  const std::string victim = absl::StrCat(Tenant(), "-victim");
  ASSERT_TRUE(Upload(stub(), victim, "secret", "victim's").status.ok());
  const std::vector<std::string> keys = {absl::StrCat("../", victim, "/secret"),
                                         absl::StrCat("..%2F", victim, "%2Fsecret"),
                                         absl::StrCat("/../", victim, "/secret"),
                                         absl::StrCat(victim, "/secret"),
                                         "./secret",
                                         "a//b",
                                         "%2e%2e/x",
                                         "ünï/../cödé",
                                         "..",
                                         ".",
                                         "?query=1#frag"};
  for (const std::string& key : keys) {
    ASSERT_TRUE(Upload(stub(), attacker, key, key).status.ok()) << key;
    EXPECT_EQ(Download(stub(), attacker, key).data, key) << key;
  }
  // The victim's object is untouched, and its listing has only it.
  EXPECT_EQ(Download(stub(), victim, "secret").data, "victim's");
  v1::ListRequest all;
  EXPECT_THAT(List(stub(), victim, all).keys, ::testing::ElementsAre("secret"));
  // The attacker lists its keys as it wrote them, without the prefix.
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(List(stub(), attacker, all).keys, sorted);
  // In the bucket, each key is the tenant's prefix and the key, byte for byte.
  absl::StatusOr<std::vector<std::string>> stored =
      s3().ListKeys(bucket(), absl::StrCat(attacker, "/"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  std::vector<std::string> expected;
  for (const std::string& key : sorted) expected.push_back(absl::StrCat(attacker, "/", key));
  EXPECT_EQ(*stored, expected);
  // The victim deletes nothing of the attacker's, nor the attacker anything of the victim's.
  grpc::ClientContext context;
  auto tenant = TenantContext(victim);
  v1::DeleteRequest del;
  del.set_key(absl::StrCat("../", attacker, "/..%2F", victim, "%2Fsecret"));
  v1::DeleteResponse deleted;
  EXPECT_EQ(stub().Delete(tenant.get(), del, &deleted).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Download(stub(), victim, "secret").data, "victim's");
}

TEST_F(GatewayS3Test, ListingPagesThroughMoreKeysThanS3AnswersAtOnce) {
  // S3 answers at most 1000 keys per request; the gateway follows its continuation tokens.
  constexpr int kKeys = 1234;
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([w] {
      for (int i = w; i < kKeys; i += 8) {
        ASSERT_TRUE(s3().PutObject(bucket(), absl::StrFormat("%s/k%05d", Tenant(), i), "x").ok());
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  v1::ListRequest request;
  request.set_page_size(10000);
  ListOutcome listing = List(stub(), Tenant(), request);
  ASSERT_TRUE(listing.status.ok()) << listing.status.error_message();
  ASSERT_EQ(listing.keys.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(listing.keys[i], absl::StrFormat("k%05d", i));
  // And from the middle, in small pages.
  request.set_page_size(100);
  request.set_start_after("k00999");
  request.set_limit(150);
  listing = List(stub(), Tenant(), request);
  ASSERT_EQ(listing.keys.size(), 150u);
  EXPECT_EQ(listing.keys.front(), "k01000");
  EXPECT_EQ(listing.pages.size(), 2u);
}

TEST_F(GatewayS3Test, LargeUploadGoesUpInPartsAndStoresTheDeclaredChecksum) {
  const std::string data = TestBytes(2 * kPartBytes + 12345);
  UploadOptions options;
  options.chunk_bytes = 1 << 20;
  options.sha256 = Sha256::Hex(data);
  UploadOutcome up = Upload(stub(), Tenant(), "big", data, options);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  EXPECT_THAT(up.response.etag(), ::testing::EndsWith("-3"));

  absl::StatusOr<BufferedResponse> head = s3().Call({"HEAD", bucket(), Tenant() + "/big"});
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->headers.Get("x-amz-meta-objgate-sha256").value_or(""), Sha256::Hex(data));

  DownloadOutcome down = Download(stub(), Tenant(), "big");
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == data);
  EXPECT_EQ(down.metadata->sha256(), Sha256::Hex(data));
  EXPECT_EQ(down.trailer->sha256(), Sha256::Hex(data));
  EXPECT_TRUE(NoUploadsLeft());
}

TEST_F(GatewayS3Test, SmallUploadOfUnknownSizeIsOnePutObjectWithItsChecksum) {
  const std::string data = TestBytes(100000);
  ASSERT_TRUE(Upload(stub(), Tenant(), "small", data).status.ok());
  absl::StatusOr<std::vector<faultproxy::LoggedRequest>> seen = proxy().Log(PathOf("small"));
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].method, "PUT");
  EXPECT_EQ((*seen)[0].target, PathOf("small"));
  EXPECT_EQ((*seen)[0].Header("x-amz-content-sha256").value_or(""), Sha256::Hex(data));
  absl::StatusOr<BufferedResponse> head = s3().Call({"HEAD", bucket(), Tenant() + "/small"});
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->headers.Get("x-amz-meta-objgate-sha256").value_or(""), Sha256::Hex(data));
}

TEST_F(GatewayS3Test, ResetInTheMiddleOfAPartIsRetriedFromTheBuffer) {
  ASSERT_TRUE(proxy()
                  .AddRules(absl::StrCat(R"({"method": "PUT", "path": ")", PathOf("reset"),
                                         R"(", "query_contains": "partNumber=2", )",
                                         R"("action": "reset_after_request_bytes", )",
                                         R"("bytes": 1048576})"))
                  .ok());
  const std::string data = TestBytes(3 * kPartBytes);
  UploadOptions options;
  options.chunk_bytes = 1 << 20;
  UploadOutcome up = Upload(stub(), Tenant(), "reset", data, options);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  EXPECT_EQ(up.response.sha256(), Sha256::Hex(data));
  absl::StatusOr<std::vector<faultproxy::LoggedRequest>> seen = proxy().Log(PathOf("reset"));
  ASSERT_TRUE(seen.ok());
  int part_two_sends = 0;
  for (const auto& request : *seen) {
    part_two_sends += absl::StrContains(request.target, "partNumber=2");
  }
  EXPECT_EQ(part_two_sends, 2);
  DownloadOutcome down = Download(stub(), Tenant(), "reset");
  ASSERT_TRUE(down.status.ok());
  EXPECT_EQ(Sha256::Hex(down.data), Sha256::Hex(data));
  EXPECT_TRUE(NoUploadsLeft());
}

TEST_F(GatewayS3Test, SlowDownIsRetried) {
  ASSERT_TRUE(proxy()
                  .AddRules(absl::StrCat(
                      R"({"method": "PUT", "path": ")", PathOf("busy"),
                      R"(", "times": 2, "action": "respond", "status": 503, )",
                      R"("headers": {"Content-Type": "application/xml"}, )",
                      R"("body": "<Error><Code>SlowDown</Code><Message>Please reduce your )",
                      R"(request rate.</Message></Error>"})"))
                  .ok());
  UploadOutcome up = Upload(stub(), Tenant(), "busy", "bytes");
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  EXPECT_EQ(Download(stub(), Tenant(), "busy").data, "bytes");
}

TEST_F(GatewayS3Test, StalledDownloadEndsAtTheCallersDeadline) {
  ASSERT_TRUE(Upload(stub(), Tenant(), "stall", TestBytes(1 << 20)).status.ok());
  ASSERT_TRUE(proxy()
                  .AddRules(absl::StrCat(R"({"method": "GET", "path": ")", PathOf("stall"),
                                         R"(", "action": "stall_after_body_bytes", )",
                                         R"("bytes": 65536})"))
                  .ok());
  v1::DownloadRequest request;
  request.set_key("stall");
  const absl::Time start = absl::Now();
  DownloadOutcome down = Download(stub(), Tenant(), request, absl::Seconds(2));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(GatewayS3Test, FailedCompletionIsAbortedAndLeavesNothing) {
  ASSERT_TRUE(proxy()
                  .AddRules(absl::StrCat(
                      R"({"method": "POST", "path": ")", PathOf("incomplete"),
                      R"(", "query_contains": "uploadId=", "times": 100, "action": "respond", )",
                      R"("status": 500, "headers": {"Content-Type": "application/xml"}, )",
                      R"("body": "<Error><Code>InternalError</Code></Error>"})"))
                  .ok());
  const std::string data = TestBytes(kPartBytes + 1);
  UploadOutcome up = Upload(stub(), Tenant(), "incomplete", data);
  EXPECT_EQ(up.status.error_code(), grpc::StatusCode::UNAVAILABLE) << up.status.error_message();
  EXPECT_EQ(Download(stub(), Tenant(), "incomplete").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(NoUploadsLeft());
  absl::StatusOr<std::vector<faultproxy::LoggedRequest>> seen = proxy().Log(PathOf("incomplete"));
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE(std::any_of(seen->begin(), seen->end(), [](const auto& request) {
    return request.method == "DELETE" && absl::StrContains(request.target, "uploadId=");
  })) << "no AbortMultipartUpload";
}

TEST_F(GatewayS3Test, CallerCancellingMidUploadLeavesNothing) {
  grpc::ClientContext* context = nullptr;
  auto tenant = TenantContext(Tenant());
  context = tenant.get();
  v1::UploadResponse response;
  auto writer = stub().Upload(context, &response);
  v1::UploadRequest spec;
  spec.mutable_spec()->set_key("cancelled");
  ASSERT_TRUE(writer->Write(spec));
  const std::string chunk = TestBytes(1 << 20);
  // Past the first part, so that the multipart upload has started.
  for (int i = 0; i < 8; ++i) {
    v1::UploadRequest data;
    data.set_data(chunk);
    ASSERT_TRUE(writer->Write(data));
  }
  // The first part reaches the store before the caller gives up.
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    absl::StatusOr<std::vector<faultproxy::LoggedRequest>> seen =
        proxy().Log(PathOf("cancelled"), absl::ZeroDuration());
    if (seen.ok() && std::any_of(seen->begin(), seen->end(), [](const auto& request) {
          return absl::StrContains(request.target, "partNumber=1") && request.outcome;
        })) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  context->TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(NoUploadsLeft());
  EXPECT_EQ(Download(stub(), Tenant(), "cancelled").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(GatewayS3Test, ObjectsWrittenByAnotherS3ClientAreServedWithTheirSha256) {
  const std::string data = TestBytes(300000);
  ASSERT_TRUE(s3().PutObject(bucket(), Tenant() + "/foreign", data).ok());
  DownloadOutcome down = Download(stub(), Tenant(), "foreign");
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == data);
  EXPECT_EQ(down.metadata->sha256(), "");  // the store declared none
  EXPECT_EQ(down.trailer->sha256(), Sha256::Hex(data));
}

TEST_F(GatewayS3Test, ReservedMetadataKeyIsInvalidArgument) {
  grpc::ClientContext context;
  auto tenant = TenantContext(Tenant());
  v1::UploadResponse response;
  auto writer = stub().Upload(tenant.get(), &response);
  v1::UploadRequest spec;
  spec.mutable_spec()->set_key("k");
  (*spec.mutable_spec()->mutable_metadata())["objgate-sha256"] = "0";
  writer->Write(spec);
  v1::UploadRequest data;
  data.set_data("bytes");
  data.set_finish_write(true);
  writer->Write(data);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reserved"));
}

// A gateway on the local S3 with one thing of its configuration wrong: every object call
// fails with FAILED_PRECONDITION and a message that says what to fix, the readiness check
// says the same, no message holds a secret, and the gateway keeps serving.
class GatewayS3ConfigurationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OBJGATE_NEED_LOCAL_S3(s3);
    s3_ = s3;
  }

  void ExpectMisconfigured(GatewayHarnessOptions options,
                           std::vector<std::pair<std::string, std::string>> env,
                           absl::string_view fix, absl::string_view secret) {
    options.dialect = Dialect::kS3;
    options.gateway_env = std::move(env);
    absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
    ASSERT_TRUE(harness.ok()) << harness.status();
    for (int i = 0; i < 2; ++i) {  // the gateway keeps serving
      UploadOutcome up = Upload((*harness)->stub(), "t1", "k", "bytes");
      EXPECT_EQ(up.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << up.status.error_message();
      EXPECT_THAT(up.status.error_message(),
                  AllOf(HasSubstr("the gateway is misconfigured"), HasSubstr(fix)));
      if (!secret.empty()) {
        EXPECT_THAT(up.status.error_message(), Not(HasSubstr(secret)));
      }
    }
    v1::HealthResponse health;
    grpc::ClientContext context;
    ASSERT_TRUE((*harness)->stub().Health(&context, v1::HealthRequest(), &health).ok());
    EXPECT_TRUE(health.live());
    EXPECT_FALSE(health.ready());
    EXPECT_THAT(health.detail(), HasSubstr(fix));
    if (!secret.empty()) {
      EXPECT_THAT(health.detail(), Not(HasSubstr(secret)));
    }
  }

  LocalS3 s3_;
};

TEST_F(GatewayS3ConfigurationTest, WrongSecret) {
  const std::string wrong = "wrongSecretWrongSecretWrongSecret0123456";
  ExpectMisconfigured({}, {{"AWS_SECRET_ACCESS_KEY", wrong}}, "AWS_SECRET_ACCESS_KEY", wrong);
}

TEST_F(GatewayS3ConfigurationTest, UnknownAccessKey) {
  ExpectMisconfigured({}, {{"AWS_ACCESS_KEY_ID", "AKIDUNKNOWNTOTHESTORE"}}, "AWS_ACCESS_KEY_ID",
                      s3_.credentials.secret_access_key);
}

TEST_F(GatewayS3ConfigurationTest, MissingBucket) {
  GatewayHarnessOptions options;
  options.gateway_args = {"--s3_bucket=no-such-bucket-here"};
  ExpectMisconfigured(options, {}, "create bucket \"no-such-bucket-here\"",
                      s3_.credentials.secret_access_key);
}

TEST_F(GatewayS3ConfigurationTest, SkewedClock) {
  // libfaketime moves the gateway's wall clock an hour back; the monotonic clock, which
  // gRPC's timers use, is left alone. Under AddressSanitizer the preloaded library comes
  // before ASan's runtime, which ASan allows when told.
  const char* asan_options = std::getenv("ASAN_OPTIONS");
  ExpectMisconfigured({},
                      {{"LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"},
                       {"FAKETIME", "-1h"},
                       {"FAKETIME_DONT_FAKE_MONOTONIC", "1"},
                       {"ASAN_OPTIONS", absl::StrCat(asan_options ? asan_options : "",
                                                     ":verify_asan_link_order=0")}},
                      "NTP", s3_.credentials.secret_access_key);
}

TEST_F(GatewayS3ConfigurationTest, RotatedSharedCredentialsFileIsReadOnSighup) {
  TempDir dir;
  const std::string file = dir.path() + "/credentials";
  auto write = [&](absl::string_view secret) {
    std::ofstream out(file + ".new");
    out << "[default]\naws_access_key_id = " << s3_.credentials.access_key_id
        << "\naws_secret_access_key = " << secret << "\n";
    out.close();
    ASSERT_EQ(std::rename((file + ".new").c_str(), file.c_str()), 0);
  };
  write("stale-secret-stale-secret-stale-secret-00");
  GatewayHarnessOptions options;
  options.dialect = Dialect::kS3;
  // Empty variables: AWS tools take those as unset, so the file is used.
  options.gateway_env = {{"AWS_ACCESS_KEY_ID", ""},
                         {"AWS_SECRET_ACCESS_KEY", ""},
                         {"AWS_SHARED_CREDENTIALS_FILE", file}};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  UploadOutcome before = Upload((*harness)->stub(), "t1", "k", "bytes");
  EXPECT_EQ(before.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(before.status.error_message(), Not(HasSubstr("stale-secret")));

  write(s3_.credentials.secret_access_key);
  ASSERT_EQ(kill((*harness)->gateway().pid(), SIGHUP), 0);
  // The gateway rereads the file when it takes the signal; the first calls may still see
  // the old secret.
  grpc::Status status;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    status = Upload((*harness)->stub(), "t1", "k", "bytes").status;
  } while (!status.ok() && absl::Now() < deadline);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(GatewayS3ConfigurationTest, VirtualHostAddressingAndABucketPerTenant) {
  absl::StatusOr<std::unique_ptr<S3TestClient>> s3 = S3TestClient::Create(s3_);
  ASSERT_TRUE(s3.ok());
  const std::string bucket = "objgate-per-tenant-t1";
  ASSERT_TRUE((*s3)->CreateBucket(bucket).ok());
  GatewayHarnessOptions options;
  options.dialect = Dialect::kS3;
  // RGW answers for BUCKET.localhost (rgw_dns_name); libcurl resolves *.localhost itself.
  options.s3_endpoint_host = "localhost";
  options.gateway_args = {"--s3_addressing=virtual", "--s3_bucket=objgate-per-tenant-{tenant}"};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  ASSERT_TRUE(Upload((*harness)->stub(), "t1", "k", "bytes").status.ok());
  absl::StatusOr<std::string> stored = (*s3)->GetObject(bucket, "k");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, "bytes");
  EXPECT_EQ(Download((*harness)->stub(), "t1", "k").data, "bytes");
  v1::ListRequest all;
  EXPECT_THAT(List((*harness)->stub(), "t1", all).keys, ::testing::ElementsAre("k"));
  // Another tenant has no bucket of its own; an id that cannot name a bucket is refused.
  EXPECT_EQ(Upload((*harness)->stub(), "t2", "k", "bytes").status.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Upload((*harness)->stub(), "Upper_Case", "k", "bytes").status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE((*s3)->DeleteBucket(bucket).ok());
}

}  // namespace
}  // namespace objgate::test_support
