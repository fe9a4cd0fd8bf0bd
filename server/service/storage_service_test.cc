// StorageService in process, over the shared FakeUpstream: a real gRPC server on a loopback
// port and the generated stub, so that every RPC, every status the .proto documents,
// cancellation and backpressure are exercised through gRPC itself, with no store and no
// HTTP below.
#include "server/service/storage_service.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/security/tenant_limiter.h"
#include "server/service/testing/recording_call_observer.h"
#include "server/upstream/testing/fake_upstream.h"
#include "tests/support/storage_calls.h"

namespace objgate {
namespace {

namespace v1 = ::storage::v1;
using ::objgate::test_support::ContinueUpload;
using ::objgate::test_support::Download;
using ::objgate::test_support::DownloadOutcome;
using ::objgate::test_support::List;
using ::objgate::test_support::ListOutcome;
using ::objgate::test_support::TenantContext;
using ::objgate::test_support::TestBytes;
using ::objgate::test_support::Upload;
using ::objgate::test_support::UploadOptions;
using ::objgate::test_support::UploadOutcome;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using Op = FakeUpstream::Op;

constexpr char kTenant[] = "t1";
constexpr size_t kChunkBytes = 64 * 1024;

// A service over a FakeUpstream, served on a loopback port with the gateway's stream
// window, and a stub to call it.
class StorageServiceTest : public ::testing::Test {
 protected:
  StorageServiceTest() { Start(); }
  ~StorageServiceTest() override { Stop(); }

  void Start(StorageServiceOptions options = {}) {
    options.download_chunk_bytes = kChunkBytes;
    options.gateway_version = "test-1";
    service_ = std::make_unique<StorageService>(upstream_, observer_, std::move(options));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1 << 20);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1 << 20);
    channel_ = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                         grpc::InsecureChannelCredentials(), args);
    stub_ = v1::ObjectStorage::NewStub(channel_);
  }

  void Restart(StorageServiceOptions options) {
    Stop();
    Start(std::move(options));
  }

  void Stop() {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
    service_.reset();
  }

  v1::ObjectStorage::Stub& stub() { return *stub_; }

  // The status of one unary call made with `tenant` ("" for none).
  grpc::Status Delete(const std::string& tenant, const std::string& key) {
    v1::DeleteRequest request;
    request.set_key(key);
    v1::DeleteResponse response;
    return stub_->Delete(TenantContext(tenant).get(), request, &response);
  }

  // Sends `bytes` as the request of `method` (e.g. "Delete"), as a caller whose stub does
  // not match the .proto would.
  grpc::Status CallWithRawBytes(const std::string& method, const std::string& bytes) {
    grpc::GenericStub generic(channel_);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    auto context = TenantContext(kTenant);
    generic.UnaryCall(context.get(), absl::StrCat("/storage.v1.ObjectStorage/", method),
                      grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    return status;
  }

  FakeUpstream upstream_;
  RecordingCallObserver observer_;
  std::unique_ptr<StorageService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ObjectStorage::Stub> stub_;
};

v1::DownloadRequest Range(const std::string& key, int64_t offset, int64_t limit) {
  v1::DownloadRequest request;
  request.set_key(key);
  request.set_offset(offset);
  request.set_limit(limit);
  return request;
}

v1::ListRequest ListOf(const std::string& prefix, int page_size = 0, int64_t limit = 0,
                       const std::string& start_after = "") {
  v1::ListRequest request;
  request.set_prefix(prefix);
  request.set_page_size(page_size);
  request.set_limit(limit);
  request.set_start_after(start_after);
  return request;
}

// Upload

TEST_F(StorageServiceTest, UploadStoresTheObjectAndReportsWhatWasStored) {
  const std::string data = TestBytes(300 * 1024);
  UploadOptions options;
  options.content_type = "text/csv";
  options.sha256 = Sha256::Hex(data);
  options.declared_size = static_cast<int64_t>(data.size());
  UploadOutcome outcome = Upload(stub(), kTenant, "reports/a.csv", data, options);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(outcome.response.key(), "reports/a.csv");
  EXPECT_EQ(outcome.response.size(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(outcome.response.sha256(), Sha256::Hex(data));
  std::optional<FakeUpstream::Object> stored = upstream_.Get(kTenant, "reports/a.csv");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->data, data);
  EXPECT_EQ(stored->content_type, "text/csv");
  EXPECT_EQ(outcome.response.etag(), stored->etag);
  ASSERT_THAT(upstream_.calls(), SizeIs(1));
  EXPECT_EQ(upstream_.calls()[0].tenant_id, kTenant);
  EXPECT_EQ(upstream_.calls()[0].upload.size, static_cast<int64_t>(data.size()));
}

TEST_F(StorageServiceTest, UploadsThatBreakTheProtocolAreInvalidAndStoreNothing) {
  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no finish_write",
       [&] {
         UploadOptions options;
         options.finish_write = false;
         return Upload(stub(), kTenant, "k", "partial", options).status;
       },
       "finish_write"},
      {"wrong sha256",
       [&] {
         UploadOptions options;
         options.sha256 = Sha256::Hex("something else");
         return Upload(stub(), kTenant, "k", "data", options).status;
       },
       "SHA-256"},
      {"more bytes than declared",
       [&] {
         UploadOptions options;
         options.declared_size = 2;
         return Upload(stub(), kTenant, "k", "data", options).status;
       },
       "size"},
      {"bad key", [&] { return Upload(stub(), kTenant, "", "data").status; }, "key"},
      {"no spec",
       [&] {
         v1::UploadResponse response;
         auto context = TenantContext(kTenant);
         auto writer = stub().Upload(context.get(), &response);
         v1::UploadRequest message;
         message.set_data("bytes first");
         writer->Write(message);
         writer->WritesDone();
         return writer->Finish();
       },
       "spec"},
      {"no messages",
       [&] {
         v1::UploadResponse response;
         auto context = TenantContext(kTenant);
         auto writer = stub().Upload(context.get(), &response);
         writer->WritesDone();
         return writer->Finish();
       },
       "spec"},
  };
  for (const Case& c : cases) {
    grpc::Status status = c.call();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_THAT(status.error_message(), HasSubstr(c.message)) << c.name;
  }
  EXPECT_THAT(upstream_.Keys(kTenant), IsEmpty());
}

TEST_F(StorageServiceTest, UploadPassesUpstreamErrorsOnAndStoresNothing) {
  upstream_.FailNext(Op::kUpload,
                     {absl::ResourceExhaustedError("upload of \"k\": tenant quota exceeded"), 10});
  UploadOutcome outcome = Upload(stub(), kTenant, "k", TestBytes(100 * 1024));
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("quota"));
  EXPECT_EQ(upstream_.Get(kTenant, "k"), std::nullopt);
}

// Download

TEST_F(StorageServiceTest, DownloadSendsMetadataChunksAndATrailer) {
  const std::string data = TestBytes(200 * 1024);
  upstream_.Put(kTenant, "k", data, "image/png");
  DownloadOutcome outcome = Download(stub(), kTenant, "k");
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(outcome.data, data);
  EXPECT_EQ(outcome.data_messages, 4);  // 64 KiB chunks
  ASSERT_TRUE(outcome.metadata.has_value());
  EXPECT_EQ(outcome.metadata->size(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(outcome.metadata->content_type(), "image/png");
  EXPECT_EQ(outcome.metadata->etag(), upstream_.Get(kTenant, "k")->etag);
  EXPECT_EQ(outcome.metadata->sha256(), Sha256::Hex(data));
  ASSERT_TRUE(outcome.trailer.has_value());
  EXPECT_EQ(outcome.trailer->sha256(), Sha256::Hex(data));
  EXPECT_EQ(outcome.trailer->size(), static_cast<int64_t>(data.size()));
}

TEST_F(StorageServiceTest, DownloadOfARange) {
  upstream_.Put(kTenant, "k", "0123456789");
  DownloadOutcome outcome = Download(stub(), kTenant, Range("k", 3, 4));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(outcome.data, "3456");
  EXPECT_EQ(outcome.metadata->offset(), 3);
  EXPECT_EQ(outcome.metadata->length(), 4);
  EXPECT_EQ(outcome.trailer->sha256(), Sha256::Hex("3456"));
  EXPECT_EQ(upstream_.calls()[0].download.offset, 3);
  EXPECT_EQ(upstream_.calls()[0].download.length, 4);
}

TEST_F(StorageServiceTest, DownloadStatuses) {
  upstream_.Put(kTenant, "k", "0123456789");
  FakeUpstream::Object corrupt;
  corrupt.data = "the stored bytes";
  corrupt.etag = "e";
  corrupt.declared_sha256 = Sha256::Hex("what was once uploaded");
  upstream_.PutObject(kTenant, "corrupt", corrupt);
  v1::DownloadRequest stale = Range("k", 0, 0);
  stale.set_if_match("old-etag");
  struct Case {
    v1::DownloadRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {Range("missing", 0, 0), grpc::StatusCode::NOT_FOUND, "not found"},
      {Range("k", 10, 0), grpc::StatusCode::OUT_OF_RANGE, "past the end"},
      {Range("k", -1, 0), grpc::StatusCode::INVALID_ARGUMENT, "offset"},
      {Range("k", 0, -1), grpc::StatusCode::INVALID_ARGUMENT, "limit"},
      {Range("", 0, 0), grpc::StatusCode::INVALID_ARGUMENT, "key"},
      {stale, grpc::StatusCode::FAILED_PRECONDITION, "precondition"},
      {Range("corrupt", 0, 0), grpc::StatusCode::DATA_LOSS, "but the upstream declared"},
  };
  for (const Case& c : cases) {
    DownloadOutcome outcome = Download(stub(), kTenant, c.request);
    EXPECT_EQ(outcome.status.error_code(), c.code) << c.request.ShortDebugString();
    EXPECT_THAT(outcome.status.error_message(), HasSubstr(c.message));
    EXPECT_FALSE(outcome.trailer.has_value()) << c.request.ShortDebugString();
  }
}

TEST_F(StorageServiceTest, DownloadUnavailableUpstreamIsUnavailable) {
  upstream_.FailNext(Op::kDownload, {MarkRetryable(absl::UnavailableError("connection refused"))});
  EXPECT_EQ(Download(stub(), kTenant, "k").status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

// List

TEST_F(StorageServiceTest, ListStreamsPagesOfPageSize) {
  for (int i = 0; i < 7; ++i) upstream_.Put(kTenant, absl::StrCat("p/", i), "x");
  upstream_.Put(kTenant, "q/other", "x");
  ListOutcome outcome = List(stub(), kTenant, ListOf("p/", /*page_size=*/3));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_THAT(outcome.pages, ElementsAre(ElementsAre("p/0", "p/1", "p/2"),
                                         ElementsAre("p/3", "p/4", "p/5"), ElementsAre("p/6")));
  // The upstream is asked for a page at a time, each after the last key.
  std::vector<std::string> cursors;
  for (const FakeUpstream::Call& call : upstream_.calls()) cursors.push_back(call.list.start_after);
  EXPECT_THAT(cursors, ElementsAre("", "p/2", "p/5"));
}

TEST_F(StorageServiceTest, ListHonoursLimitAndStartAfter) {
  for (int i = 0; i < 7; ++i) upstream_.Put(kTenant, absl::StrCat("k", i), "x");
  ListOutcome outcome = List(stub(), kTenant, ListOf("", 2, /*limit=*/3, "k1"));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_THAT(outcome.keys, ElementsAre("k2", "k3", "k4"));
}

TEST_F(StorageServiceTest, DelimiterListingMergesPrefixesWithEntriesInPages) {
  for (const char* key : {"a", "d/1", "d/2", "e", "f/1", "f/g/2"}) upstream_.Put(kTenant, key, "x");
  v1::ListRequest request = ListOf("", /*page_size=*/2);
  request.set_delimiter("/");
  ListOutcome outcome = List(stub(), kTenant, request);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_THAT(outcome.keys, ElementsAre("a", "e"));
  EXPECT_THAT(outcome.prefixes, ElementsAre("d/", "f/"));
  EXPECT_THAT(outcome.page_items, ElementsAre(2, 2));
  EXPECT_EQ(upstream_.calls()[0].list.delimiter, "/");

  request.set_limit(3);
  outcome = List(stub(), kTenant, request);
  EXPECT_THAT(outcome.keys, ElementsAre("a", "e"));
  EXPECT_THAT(outcome.prefixes, ElementsAre("d/"));
}

TEST_F(StorageServiceTest, EmptyListingIsOneEmptyPage) {
  ListOutcome outcome = List(stub(), kTenant, ListOf("nothing/"));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_THAT(outcome.pages, ElementsAre(IsEmpty()));
}

TEST_F(StorageServiceTest, ListStatuses) {
  EXPECT_EQ(List(stub(), kTenant, ListOf("", 10001)).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(List(stub(), kTenant, ListOf("", 0, -1)).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  upstream_.FailNext(Op::kList, {absl::InternalError("upstream list answer is not JSON")});
  EXPECT_EQ(List(stub(), kTenant, ListOf("")).status.error_code(), grpc::StatusCode::INTERNAL);
}

// Delete, GetServerInfo, Health

TEST_F(StorageServiceTest, DeleteStatuses) {
  upstream_.Put(kTenant, "k", "x");
  EXPECT_TRUE(Delete(kTenant, "k").ok());
  EXPECT_EQ(upstream_.Get(kTenant, "k"), std::nullopt);
  EXPECT_EQ(Delete(kTenant, "k").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Delete(kTenant, std::string(1025, 'k')).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  upstream_.FailNext(Op::kDelete, {absl::PermissionDeniedError("tenant refused")});
  EXPECT_EQ(Delete(kTenant, "k").error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(StorageServiceTest, StatDescribesTheObjectWithoutItsBytes) {
  FakeUpstream::Object object;
  object.data = "0123456789";
  object.etag = "v7";
  object.content_type = "text/csv";
  object.declared_sha256 = Sha256::Hex(object.data);
  object.metadata = {{"author", "ada"}, {"run", "42"}};
  object.last_modified = absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250);
  upstream_.PutObject(kTenant, "table.csv", object);

  v1::StatRequest request;
  request.set_key("table.csv");
  v1::ObjectInfo info;
  grpc::Status status = stub().Stat(TenantContext(kTenant).get(), request, &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.key(), "table.csv");
  EXPECT_EQ(info.size(), 10);
  EXPECT_EQ(info.etag(), "v7");
  EXPECT_EQ(info.content_type(), "text/csv");
  EXPECT_EQ(info.sha256(), Sha256::Hex(object.data));
  EXPECT_EQ(info.last_modified().seconds(), 1700000000);
  EXPECT_EQ(info.last_modified().nanos(), 250000000);
  EXPECT_EQ(info.metadata().size(), 2u);
  EXPECT_EQ(info.metadata().at("author"), "ada");
  // One byte asked for, not the object.
  ASSERT_EQ(upstream_.CallCount(Op::kDownload), 1);
  EXPECT_EQ(upstream_.calls().back().download.length, 1);
  EXPECT_EQ(upstream_.bytes_delivered(), 1);

  // The same description arrives in Download's first message.
  DownloadOutcome down = Download(stub(), kTenant, "table.csv");
  ASSERT_TRUE(down.metadata.has_value());
  EXPECT_EQ(down.metadata->metadata().at("run"), "42");
  EXPECT_EQ(down.metadata->last_modified().seconds(), 1700000000);
}

TEST_F(StorageServiceTest, StatOfAnEmptyObjectReadsItWhole) {
  upstream_.Put(kTenant, "empty", "");
  // A store answers a range of an empty object with 416.
  upstream_.FailNext(Op::kDownload, {absl::OutOfRangeError("range not satisfiable")});
  v1::StatRequest request;
  request.set_key("empty");
  v1::ObjectInfo info;
  grpc::Status status = stub().Stat(TenantContext(kTenant).get(), request, &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.size(), 0);
  EXPECT_EQ(upstream_.CallCount(Op::kDownload), 2);
  EXPECT_EQ(upstream_.calls().back().download.length, std::nullopt);
}

TEST_F(StorageServiceTest, StatStatuses) {
  auto stat = [&](const std::string& tenant, const std::string& key) {
    v1::StatRequest request;
    request.set_key(key);
    v1::ObjectInfo info;
    return stub().Stat(TenantContext(tenant).get(), request, &info).error_code();
  };
  upstream_.Put(kTenant, "k", "x");
  EXPECT_EQ(stat(kTenant, "missing"), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stat("other-tenant", "k"), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stat(kTenant, ""), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(stat(kTenant, std::string(1025, 'k')), grpc::StatusCode::INVALID_ARGUMENT);
  v1::StatRequest request;
  request.set_key("k");
  v1::ObjectInfo info;
  grpc::ClientContext no_tenant;
  EXPECT_EQ(stub().Stat(&no_tenant, request, &info).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  upstream_.FailNext(Op::kDownload, {absl::PermissionDeniedError("tenant refused")});
  EXPECT_EQ(stat(kTenant, "k"), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(StorageServiceTest, GetServerInfoNeedsNoTenant) {
  v1::ServerInfo info;
  grpc::ClientContext context;
  ASSERT_TRUE(stub().GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  EXPECT_EQ(info.status(), "ok");
  EXPECT_EQ(info.version(), "fake-1.0");
  EXPECT_EQ(info.gateway_version(), "test-1");
  EXPECT_EQ(info.dialect(), "fake");
  EXPECT_THAT(info.capabilities(), IsEmpty());

  upstream_.set_server_info(MarkRetryable(absl::UnavailableError("could not connect")));
  grpc::ClientContext again;
  EXPECT_EQ(stub().GetServerInfo(&again, v1::GetServerInfoRequest(), &info).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(StorageServiceTest, HealthReportsLiveAndReadyAndIsAlwaysOk) {
  auto health = [&] {
    v1::HealthResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(stub().Health(&context, v1::HealthRequest(), &response).ok());
    return response;
  };
  v1::HealthResponse response = health();
  EXPECT_TRUE(response.live());
  EXPECT_TRUE(response.ready());
  EXPECT_EQ(response.detail(), "");

  upstream_.set_ready(absl::UnavailableError("upstream is not ready: it answered \"STARTING\""));
  response = health();
  EXPECT_TRUE(response.live());
  EXPECT_FALSE(response.ready());
  EXPECT_THAT(response.detail(), HasSubstr("STARTING"));

  upstream_.set_live(absl::UnavailableError("could not connect to the upstream"));
  response = health();
  EXPECT_FALSE(response.live());
  EXPECT_FALSE(response.ready());
  EXPECT_EQ(upstream_.CallCount(Op::kCheckReady), 2);  // not asked when not live
}

// What every call shares

TEST_F(StorageServiceTest, ObjectCallsNeedAWellFormedTenant) {
  upstream_.Put(kTenant, "k", "x");
  EXPECT_EQ(Upload(stub(), "", "k", "x").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Download(stub(), "", "k").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(List(stub(), "", ListOf("")).status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Delete("", "k").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status bad = Delete("../etc", "k");
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("x-tenant-id"));
  EXPECT_THAT(upstream_.calls(), IsEmpty());
}

TEST_F(StorageServiceTest, RequestsThatDoNotParseAreInvalidArgumentNamingTheMessage) {
  const std::string garbage = "\xff\xff\xff\xff";
  for (const std::string method : {"Delete", "GetServerInfo", "Health"}) {
    grpc::Status status = CallWithRawBytes(method, garbage);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_THAT(status.error_message(), HasSubstr("is not a valid storage.v1.")) << method;
  }
  EXPECT_THAT(upstream_.calls(), IsEmpty());
}

TEST_F(StorageServiceTest, EveryCallIsObservedWithWhatItDid) {
  upstream_.Put(kTenant, "k", "hello");
  ASSERT_TRUE(Download(stub(), kTenant, "k").status.ok());
  EXPECT_EQ(Delete(kTenant, "missing").error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "caller-id-1");
  v1::HealthResponse health;
  ASSERT_TRUE(stub().Health(&context, v1::HealthRequest(), &health).ok());

  EXPECT_THAT(observer_.started(), ElementsAre("Download", "Delete", "Health"));
  const std::vector<AccessRecord> ended = observer_.ended();
  ASSERT_THAT(ended, SizeIs(3));
  EXPECT_EQ(ended[0].method, "Download");
  EXPECT_EQ(ended[0].tenant_id, kTenant);
  EXPECT_EQ(ended[0].key, "k");
  EXPECT_EQ(ended[0].bytes_sent, 5);
  EXPECT_TRUE(ended[0].status.ok());
  EXPECT_EQ(ended[1].key, "missing");
  EXPECT_TRUE(absl::IsNotFound(ended[1].status));
  EXPECT_EQ(ended[2].request_id, "caller-id-1");
  EXPECT_EQ(upstream_.calls().back().request_id, "caller-id-1");
}

TEST_F(StorageServiceTest, TenantOverItsConcurrencyLimitIsRefused) {
  TenantLimiter limiter(TenantLimits{/*max_concurrent_calls=*/1}, RealClock::Instance());
  StorageServiceOptions options;
  options.tenants.limiter = &limiter;
  Restart(options);
  upstream_.Put(kTenant, "k", "x");
  absl::Notification held, release;
  upstream_.SetBeforeCall([&](Op op, const CallContext&) {
    if (op != Op::kDownload) return;
    held.Notify();
    release.WaitForNotification();
  });
  std::thread first([&] { EXPECT_TRUE(Download(stub(), kTenant, "k").status.ok()); });
  held.WaitForNotification();
  grpc::Status second = Delete(kTenant, "k");
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Delete("another-tenant", "k").error_code() == grpc::StatusCode::NOT_FOUND);
  release.Notify();
  first.join();
}

TEST_F(StorageServiceTest, CallsAfterTheShutdownCutoffEndUnavailable) {
  upstream_.Put(kTenant, "k", TestBytes(10));
  service_->BeginShutdown(absl::Now() - absl::Seconds(1));
  DownloadOutcome outcome = Download(stub(), kTenant, "k");
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("shutting down"));
}

// Cancellation and backpressure

TEST_F(StorageServiceTest, CallerThatCancelsADownloadStopsTheUpstreamTransfer) {
  const std::string data = TestBytes(16 << 20);
  upstream_.Put(kTenant, "big", data);
  upstream_.set_download_piece_bytes(kChunkBytes);
  auto context = TenantContext(kTenant);
  auto reader = stub().Download(context.get(), Range("big", 0, 0));
  v1::DownloadResponse message;
  ASSERT_TRUE(reader->Read(&message));  // metadata
  ASSERT_TRUE(reader->Read(&message));  // the first chunk
  context->TryCancel();
  while (reader->Read(&message)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  upstream_.WaitUntilIdle();
  ASSERT_THAT(upstream_.outcomes(), SizeIs(1));
  EXPECT_FALSE(upstream_.outcomes()[0].ok());
  EXPECT_LT(upstream_.bytes_delivered(), static_cast<int64_t>(data.size()));
  const std::vector<AccessRecord> ended = observer_.WaitForEnded(1);
  ASSERT_THAT(ended, SizeIs(1));
  EXPECT_TRUE(absl::IsCancelled(ended[0].status)) << ended[0].status;
}

TEST_F(StorageServiceTest, CallerThatCancelsAnUploadLeavesNothingStored) {
  absl::Notification reading;
  upstream_.SetBeforeCall([&](Op, const CallContext&) { reading.Notify(); });
  auto context = TenantContext(kTenant);
  v1::UploadResponse response;
  auto writer = stub().Upload(context.get(), &response);
  v1::UploadRequest message;
  message.mutable_spec()->set_key("k");
  ASSERT_TRUE(writer->Write(message));
  message.set_data(TestBytes(kChunkBytes));
  ASSERT_TRUE(writer->Write(message));
  reading.WaitForNotification();
  context->TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  upstream_.WaitUntilIdle();
  EXPECT_EQ(upstream_.Get(kTenant, "k"), std::nullopt);
  ASSERT_THAT(upstream_.outcomes(), SizeIs(1));
  EXPECT_FALSE(upstream_.outcomes()[0].ok());
}

// The upstream (here, memory: far faster than the caller) is held back by the caller: at
// no point has it delivered more than the call's bounded queues and the transport's
// windows hold beyond what the caller took.
TEST_F(StorageServiceTest, DownloadUpstreamNeverRunsFarAheadOfTheCaller) {
  constexpr int64_t kObjectBytes = 64 << 20;
  constexpr int64_t kBound = 16 << 20;
  upstream_.Put(kTenant, "big", std::string(kObjectBytes, 'b'));
  upstream_.set_download_piece_bytes(kChunkBytes);
  auto context = TenantContext(kTenant);
  auto reader = stub().Download(context.get(), Range("big", 0, 0));
  v1::DownloadResponse message;
  int64_t received = 0;
  int64_t most_ahead = 0;
  while (reader->Read(&message)) {
    received += static_cast<int64_t>(message.data().size());
    most_ahead = std::max(most_ahead, upstream_.bytes_delivered() - received);
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(received, kObjectBytes);
  EXPECT_LE(most_ahead, kBound);
}

// The caller is held back by the upstream: its writes block once the bounded read-ahead
// and the transport's windows are full, so it is never far ahead of what the upstream read.
TEST_F(StorageServiceTest, UploadCallerNeverRunsFarAheadOfTheUpstream) {
  constexpr int64_t kObjectBytes = 64 << 20;
  constexpr int64_t kBound = 16 << 20;
  auto context = TenantContext(kTenant);
  v1::UploadResponse response;
  auto writer = stub().Upload(context.get(), &response);
  v1::UploadRequest message;
  message.mutable_spec()->set_key("big");
  message.mutable_spec()->set_size(kObjectBytes);
  ASSERT_TRUE(writer->Write(message));
  const std::string chunk(kChunkBytes, 'u');
  int64_t sent = 0;
  int64_t most_ahead = 0;
  while (sent < kObjectBytes) {
    message.set_data(chunk);
    ASSERT_TRUE(writer->Write(message));
    sent += static_cast<int64_t>(chunk.size());
    most_ahead = std::max(most_ahead, sent - upstream_.bytes_read());
  }
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(upstream_.Get(kTenant, "big")->data.size(), static_cast<size_t>(kObjectBytes));
  EXPECT_LE(most_ahead, kBound);
}

TEST_F(StorageServiceTest, ManyConcurrentCallsEachGetTheirOwnBytes) {
  constexpr int kCallers = 24;
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      const std::string key = absl::StrCat("c/", i);
      const std::string data = TestBytes(static_cast<size_t>(1000 + i * 7919));
      if (!Upload(stub(), kTenant, key, data).status.ok()) ++failures;
      DownloadOutcome outcome = Download(stub(), kTenant, key);
      if (!outcome.status.ok() || outcome.data != data) ++failures;
      if (!Delete(kTenant, key).ok()) ++failures;
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(upstream_.Keys(kTenant), IsEmpty());
  EXPECT_THAT(observer_.ended(), SizeIs(3 * kCallers));
}

}  // namespace
}  // namespace objgate

namespace objgate {
namespace {

TEST_F(StorageServiceTest, ConditionalUploadsPassTheirConditionsAndTheStoresAnswer) {
  UploadOptions create;
  create.if_none_match = "*";
  EXPECT_TRUE(Upload(stub(), kTenant, "k", "one", create).status.ok());
  UploadOutcome again = Upload(stub(), kTenant, "k", "two", create);
  EXPECT_EQ(again.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(upstream_.Get(kTenant, "k")->data, "one");

  UploadOptions replace;
  replace.if_match = upstream_.Get(kTenant, "k")->etag;
  EXPECT_TRUE(Upload(stub(), kTenant, "k", "three", replace).status.ok());
  EXPECT_EQ(Upload(stub(), kTenant, "k", "four", replace).status.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(upstream_.Get(kTenant, "k")->data, "three");
  EXPECT_EQ(upstream_.calls().back().upload.if_match, replace.if_match);
}

TEST_F(StorageServiceTest, ConditionsThatDoNotParseAreInvalidAndStoreNothing) {
  UploadOptions bad_create;
  bad_create.if_none_match = "v1";
  UploadOutcome outcome = Upload(stub(), kTenant, "k", "x", bad_create);
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("spec.if_none_match"));
  UploadOptions both;
  both.if_none_match = "*";
  both.if_match = "v1";
  outcome = Upload(stub(), kTenant, "k", "x", both);
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(outcome.status.error_message(), HasSubstr("exclude each other"));
  UploadOptions quoted;
  quoted.if_match = "\"v1\"";
  EXPECT_EQ(Upload(stub(), kTenant, "k", "x", quoted).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(upstream_.CallCount(Op::kUpload), 0);
}

TEST_F(StorageServiceTest, ConditionalDeleteDeletesOnlyTheVersionItNames) {
  upstream_.Put(kTenant, "k", "v");
  v1::DeleteRequest request;
  request.set_key("k");
  request.set_if_match("not-the-etag");
  v1::DeleteResponse response;
  EXPECT_EQ(stub().Delete(TenantContext(kTenant).get(), request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(upstream_.Get(kTenant, "k").has_value());
  request.set_if_match(upstream_.Get(kTenant, "k")->etag);
  EXPECT_TRUE(stub().Delete(TenantContext(kTenant).get(), request, &response).ok());
  EXPECT_FALSE(upstream_.Get(kTenant, "k").has_value());
}

TEST_F(StorageServiceTest, CopyAnswersWhatWasStoredAndItsErrors) {
  upstream_.Put(kTenant, "src", "hello", "text/plain");
  v1::CopyRequest request;
  request.set_source_key("src");
  request.set_destination_key("dst");
  v1::CopyResponse response;
  grpc::Status status = stub().Copy(TenantContext(kTenant).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.key(), "dst");
  EXPECT_EQ(response.size(), 5);
  EXPECT_EQ(response.sha256(), Sha256::Hex("hello"));
  EXPECT_EQ(response.etag(), upstream_.Get(kTenant, "dst")->etag);
  EXPECT_EQ(upstream_.Get(kTenant, "dst")->content_type, "text/plain");
  EXPECT_EQ(observer_.WaitForEnded(1).back().key, "dst");

  request.set_source_if_match("stale");
  EXPECT_EQ(stub().Copy(TenantContext(kTenant).get(), request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  request.set_source_if_match("");
  request.set_source_key("missing");
  EXPECT_EQ(stub().Copy(TenantContext(kTenant).get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_source_key("");
  status = stub().Copy(TenantContext(kTenant).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("source_key"));
  request.set_source_key("src");
  request.set_destination_key(std::string(1025, 'k'));
  status = stub().Copy(TenantContext(kTenant).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("destination_key"));
  EXPECT_EQ(stub().Copy(TenantContext("").get(), request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Another tenant's copy reads its own namespace only.
  request.set_destination_key("dst2");
  EXPECT_EQ(stub().Copy(TenantContext("t2").get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(upstream_.Get("t2", "dst2").has_value());
}

}  // namespace
}  // namespace objgate

namespace objgate {
namespace {

TEST_F(StorageServiceTest, ResumableUploadStartsPausesContinuesAndCompletes) {
  StorageServiceOptions options;
  options.resumable_part_bytes = 4;
  Restart(options);
  v1::StartResumableUploadRequest start;
  start.mutable_spec()->set_key("big");
  start.mutable_spec()->set_content_type("text/plain");
  v1::StartResumableUploadResponse started;
  ASSERT_TRUE(stub().StartResumableUpload(TenantContext(kTenant).get(), start, &started).ok());
  EXPECT_EQ(started.part_bytes(), 4);
  EXPECT_EQ(upstream_.MultipartUploadCount(), 1);

  UploadOutcome outcome = ContinueUpload(stub(), kTenant, started.upload_id(), 0, "0123456", false);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  const v1::UploadResponse& paused = outcome.response;
  EXPECT_FALSE(paused.complete());
  EXPECT_EQ(paused.persisted_size(), 4);
  EXPECT_FALSE(upstream_.Get(kTenant, "big").has_value());

  v1::QueryUploadStatusRequest query;
  query.set_upload_id(started.upload_id());
  v1::QueryUploadStatusResponse queried;
  ASSERT_TRUE(stub().QueryUploadStatus(TenantContext(kTenant).get(), query, &queried).ok());
  EXPECT_EQ(queried.persisted_size(), 4);
  EXPECT_EQ(queried.key(), "big");
  EXPECT_EQ(stub().QueryUploadStatus(TenantContext("t2").get(), query, &queried).error_code(),
            grpc::StatusCode::NOT_FOUND);

  UploadOutcome finished = ContinueUpload(stub(), kTenant, started.upload_id(), 4, "456789", true);
  ASSERT_TRUE(finished.status.ok()) << finished.status.error_message();
  const v1::UploadResponse& done = finished.response;
  EXPECT_TRUE(done.complete());
  EXPECT_EQ(done.size(), 10);
  EXPECT_EQ(done.key(), "big");
  EXPECT_EQ(upstream_.Get(kTenant, "big")->data, "0123456789");
  EXPECT_EQ(upstream_.Get(kTenant, "big")->content_type, "text/plain");
  EXPECT_EQ(observer_.WaitForEnded(4).back().key, "big");
}

TEST_F(StorageServiceTest, ResumableUploadErrorsNameWhatWasWrong) {
  grpc::Status bad = ContinueUpload(stub(), kTenant, "not an id", 0, "x", true).status;
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("upload_id"));

  v1::StartResumableUploadRequest start;
  start.mutable_spec()->set_key("k");
  v1::StartResumableUploadResponse started;
  ASSERT_TRUE(stub().StartResumableUpload(TenantContext(kTenant).get(), start, &started).ok());
  grpc::Status negative =
      ContinueUpload(stub(), kTenant, started.upload_id(), -1, "x", true).status;
  EXPECT_EQ(negative.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(negative.error_message(), HasSubstr("write_offset"));
  EXPECT_EQ(ContinueUpload(stub(), kTenant, started.upload_id(), 3, "x", true).status.error_code(),
            grpc::StatusCode::OUT_OF_RANGE);

  v1::CancelResumableUploadRequest cancel;
  cancel.set_upload_id(started.upload_id());
  v1::CancelResumableUploadResponse cancelled;
  EXPECT_EQ(
      stub().CancelResumableUpload(TenantContext("t2").get(), cancel, &cancelled).error_code(),
      grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub().CancelResumableUpload(TenantContext(kTenant).get(), cancel, &cancelled).ok());
  EXPECT_EQ(upstream_.MultipartUploadCount(), 0);
  EXPECT_EQ(ContinueUpload(stub(), kTenant, started.upload_id(), 0, "x", true).status.error_code(),
            grpc::StatusCode::NOT_FOUND);

  start.mutable_spec()->set_key("");
  EXPECT_EQ(stub().StartResumableUpload(TenantContext(kTenant).get(), start, &started).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(stub().StartResumableUpload(TenantContext("").get(), start, &started).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace objgate
