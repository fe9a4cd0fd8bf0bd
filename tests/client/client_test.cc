// The C++ client library against a real gateway and reference store, and against a
// misbehaving gRPC server for the failures a real gateway does not produce on demand.
#include "client/client.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace objgate {
namespace {

namespace v1 = ::storage::v1;
using test_support::GatewayHarness;
using test_support::SharedGatewayTest;
using test_support::Subprocess;
using test_support::SubprocessOptions;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ClientTest : public SharedGatewayTest {
 protected:
  std::unique_ptr<Client> NewClient() {
    ClientConfig config;
    config.target = harness().gateway().address();
    config.tenant_id = TestTenant("c-");
    config.base_delay = absl::Milliseconds(10);
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }
};

// A client whose calls go through tests/support/corrupting_proxy, which changes one byte of
// message data going `direction` ("to_client" or "to_server"), once.
class CorruptedTransitTest : public ClientTest {
 protected:
  std::unique_ptr<Client> NewClientThroughProxy(const std::string& direction) {
    SubprocessOptions options;
    options.binary = "tests/support/corrupting_proxy";
    options.args = {"--target=" + harness().gateway().address(), "--direction=" + direction,
                    "--after_data_bytes=200000"};
    absl::StatusOr<std::unique_ptr<Subprocess>> proxy = Subprocess::Start(options);
    EXPECT_TRUE(proxy.ok()) << proxy.status();
    if (!proxy.ok()) return nullptr;
    proxy_ = *std::move(proxy);
    ClientConfig config;
    config.target = proxy_->address();
    config.tenant_id = TestTenant("c-");
    config.base_delay = absl::Milliseconds(10);
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  static std::string Object() {
    std::string bytes(3 << 20, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 + i / 977);
    return bytes;
  }

  std::unique_ptr<Subprocess> proxy_;
};

TEST_F(CorruptedTransitTest, ChunkCorruptedOnItsWayToTheCallerIsDataLossAndNeverDelivered) {
  const std::string object = Object();
  std::unique_ptr<Client> direct = NewClient();
  ASSERT_TRUE(direct->Upload("crc/object.bin", object).ok());

  std::unique_ptr<Client> client = NewClientThroughProxy("to_client");
  ASSERT_NE(client, nullptr);
  std::ostringstream received;
  absl::StatusOr<DownloadResult> download = client->DownloadTo("crc/object.bin", received);
  EXPECT_EQ(download.status().code(), absl::StatusCode::kDataLoss) << download.status();
  EXPECT_THAT(std::string(download.status().message()), HasSubstr("CRC32C"));
  // What reached the sink is a prefix of the object: the corrupted message never did.
  EXPECT_EQ(received.str(), object.substr(0, received.str().size()));
  EXPECT_LT(received.str().size(), object.size());

  // The proxy corrupts once: the same download through it now succeeds.
  absl::StatusOr<std::string> again = client->Download("crc/object.bin");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, object);
}

TEST_F(CorruptedTransitTest, ChunkCorruptedOnItsWayToTheGatewayIsDataLossAndNothingIsStored) {
  const std::string object = Object();
  std::unique_ptr<Client> client = NewClientThroughProxy("to_server");
  ASSERT_NE(client, nullptr);
  absl::StatusOr<UploadResult> upload = client->Upload("crc/uploaded.bin", object);
  EXPECT_EQ(upload.status().code(), absl::StatusCode::kDataLoss) << upload.status();
  EXPECT_THAT(std::string(upload.status().message()), HasSubstr("CRC32C"));
  EXPECT_TRUE(absl::IsNotFound(NewClient()->Download("crc/uploaded.bin").status()));

  ASSERT_TRUE(client->Upload("crc/uploaded.bin", object).ok());
  absl::StatusOr<std::string> stored = NewClient()->Download("crc/uploaded.bin");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, object);
}

TEST_F(ClientTest, UploadDownloadListDeleteAsTheSdkDoes) {
  std::unique_ptr<Client> client = NewClient();
  absl::StatusOr<UploadResult> up = client->Upload("my-file.txt", "Hello, MinIO Enterprise!");
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->status, "uploaded");
  EXPECT_EQ(up->key, "my-file.txt");
  EXPECT_EQ(up->size, 24);

  absl::StatusOr<std::string> data = client->Download("my-file.txt");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, "Hello, MinIO Enterprise!");

  absl::StatusOr<std::vector<std::string>> keys = client->List();
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, ElementsAre("my-file.txt"));

  ASSERT_TRUE(client->Delete("my-file.txt").ok());
  EXPECT_TRUE(absl::IsNotFound(client->Download("my-file.txt").status()));
}

TEST_F(ClientTest, ErrorsAreTestedWithThePredicates) {
  std::unique_ptr<Client> client = NewClient();
  EXPECT_TRUE(absl::IsNotFound(client->Download("absent").status()));
  EXPECT_TRUE(absl::IsNotFound(client->Delete("absent")));
  EXPECT_TRUE(absl::IsInvalidArgument(client->Upload("", "x").status()));
  DownloadOptions range;
  range.offset = -1;
  EXPECT_TRUE(absl::IsInvalidArgument(client->Download("k", range).status()));
}

TEST_F(ClientTest, ListWithPrefixAndEntries) {
  std::unique_ptr<Client> client = NewClient();
  for (const char* key : {"uploads/a", "uploads/b", "other/c"}) {
    ASSERT_TRUE(client->Upload(key, key).ok());
  }
  absl::StatusOr<std::vector<std::string>> keys = client->List("uploads/");
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, ElementsAre("uploads/a", "uploads/b"));

  ListOptions options;
  options.limit = 2;
  absl::StatusOr<std::vector<ObjectInfo>> objects = client->ListObjects(options);
  ASSERT_TRUE(objects.ok());
  ASSERT_EQ(objects->size(), 2u);
  EXPECT_EQ((*objects)[0].key, "other/c");
  EXPECT_EQ((*objects)[0].size, 7);
  EXPECT_GT((*objects)[0].last_modified, absl::FromUnixSeconds(1700000000));
}

TEST_F(ClientTest, StreamsFromIstreamToOstreamWithProgress) {
  std::unique_ptr<Client> client = NewClient();
  const std::string data = test_support::TestBytes(3 << 20);
  std::istringstream in(data);
  std::vector<int64_t> upload_progress;
  UploadOptions up_options;
  up_options.progress = [&](const TransferProgress& p) {
    upload_progress.push_back(p.bytes_done);
    EXPECT_EQ(p.bytes_total, static_cast<int64_t>(data.size()));
  };
  absl::StatusOr<UploadResult> up = client->UploadFrom("stream.bin", in, up_options);
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->sha256, Sha256::Hex(data));
  ASSERT_FALSE(upload_progress.empty());
  EXPECT_EQ(upload_progress.back(), static_cast<int64_t>(data.size()));

  std::ostringstream out;
  int64_t last_progress = 0;
  DownloadOptions down_options;
  down_options.progress = [&](const TransferProgress& p) {
    EXPECT_GT(p.bytes_done, last_progress);
    last_progress = p.bytes_done;
  };
  absl::StatusOr<DownloadResult> down = client->DownloadTo("stream.bin", out, down_options);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->sha256, Sha256::Hex(data));
  EXPECT_EQ(last_progress, static_cast<int64_t>(data.size()));
  EXPECT_TRUE(out.str() == data);
}

TEST_F(ClientTest, FilesRoundTripAndRangedDownload) {
  std::unique_ptr<Client> client = NewClient();
  test_support::TempDir dir;
  const std::string data = test_support::TestBytes(100000);
  {
    std::ofstream file(dir.Sub("in.bin"), std::ios::binary);
    file << data;
  }
  ASSERT_TRUE(client->UploadFile("images/photo.jpg", dir.Sub("in.bin")).ok());
  absl::StatusOr<DownloadResult> down =
      client->DownloadToFile("images/photo.jpg", dir.Sub("out.bin"));
  ASSERT_TRUE(down.ok()) << down.status();
  std::ifstream file(dir.Sub("out.bin"), std::ios::binary);
  std::string copy((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(copy == data);

  DownloadOptions range;
  range.offset = 10;
  range.limit = 5;
  absl::StatusOr<std::string> part = client->Download("images/photo.jpg", range);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(*part, data.substr(10, 5));

  EXPECT_TRUE(absl::IsNotFound(client->DownloadToFile("absent", dir.Sub("absent.bin")).status()));
  EXPECT_FALSE(std::ifstream(dir.Sub("absent.bin")).good());
  EXPECT_FALSE(std::ifstream(dir.Sub("absent.bin.partial")).good());
}

TEST_F(ClientTest, ServerInfoAndHealth) {
  std::unique_ptr<Client> client = NewClient();
  absl::StatusOr<ServerInfo> info = client->GetServerInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->status, "ok");
  EXPECT_FALSE(info->gateway_version.empty());
  absl::StatusOr<bool> healthy = client->HealthCheck();
  ASSERT_TRUE(healthy.ok());
  EXPECT_TRUE(*healthy);
}

TEST_F(ClientTest, OneClientServesManyThreads) {
  std::unique_ptr<Client> client = NewClient();
  constexpr int kWorkers = 10;
  constexpr int kFilesPerWorker = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < kFilesPerWorker; ++i) {
        const std::string key = absl::StrCat("file", w * kFilesPerWorker + i, ".txt");
        const std::string content = absl::StrCat("Content ", w * kFilesPerWorker + i);
        absl::StatusOr<UploadResult> up = client->Upload(key, content);
        absl::StatusOr<std::string> down = client->Download(key);
        if (!up.ok() || !down.ok() || *down != content) ++failures;
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_EQ(failures.load(), 0);
  absl::StatusOr<std::vector<std::string>> keys = client->List("file");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), static_cast<size_t>(kWorkers * kFilesPerWorker));
}

TEST_F(ClientTest, ClosedClientRefusesCalls) {
  std::unique_ptr<Client> client = NewClient();
  client->Close();
  client->Close();
  EXPECT_EQ(client->Download("k").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ClientCreateTest, InvalidConfigIsRejectedAtCreation) {
  absl::StatusOr<std::unique_ptr<Client>> client = CreateClient("127.0.0.1:1", "");
  EXPECT_TRUE(absl::IsInvalidArgument(client.status()));
  EXPECT_THAT(std::string(client.status().message()), HasSubstr("tenant_id"));
}

TEST(ClientUnreachableTest, RetriesThenReportsUnavailable) {
  ClientConfig config;
  config.target = "127.0.0.1:1";
  config.tenant_id = "t";
  config.max_retries = 2;
  config.base_delay = absl::Milliseconds(5);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
  ASSERT_TRUE(client.ok());
  absl::Status status = (*client)->Download("k").status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("after 3 attempts"));
}

// A gRPC server that answers Download as each test scripts it: for failures that a correct
// gateway never produces on its own.
class ScriptedGateway final : public v1::ObjectStorage::Service {
 public:
  std::function<grpc::Status(const v1::DownloadRequest&, grpc::ServerWriter<v1::DownloadResponse>&,
                             int call)>
      download;
  std::vector<v1::DownloadRequest> requests;

  grpc::Status Download(grpc::ServerContext*, const v1::DownloadRequest* request,
                        grpc::ServerWriter<v1::DownloadResponse>* writer) override {
    requests.push_back(*request);
    return download(*request, *writer, static_cast<int>(requests.size()));
  }
};

class ScriptedGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    ClientConfig config;
    config.target = absl::StrCat("127.0.0.1:", port);
    config.tenant_id = "t";
    config.base_delay = absl::Milliseconds(1);
    client_ = *Client::Create(config);
  }
  void TearDown() override { server_->Shutdown(); }

  static void Send(grpc::ServerWriter<v1::DownloadResponse>& writer, int64_t size, int64_t offset,
                   int64_t length, const std::string& etag,
                   const std::string& declared_sha256 = "") {
    v1::DownloadResponse message;
    v1::ObjectMetadata* metadata = message.mutable_metadata();
    metadata->set_key("k");
    metadata->set_size(size);
    metadata->set_offset(offset);
    metadata->set_length(length);
    metadata->set_etag(etag);
    metadata->set_sha256(declared_sha256);
    writer.Write(message);
  }
  static void SendData(grpc::ServerWriter<v1::DownloadResponse>& writer, const std::string& data) {
    v1::DownloadResponse message;
    message.set_data(data);
    writer.Write(message);
  }
  static void SendTrailer(grpc::ServerWriter<v1::DownloadResponse>& writer,
                          const std::string& sha256, int64_t size) {
    v1::DownloadResponse message;
    message.mutable_trailer()->set_sha256(sha256);
    message.mutable_trailer()->set_size(size);
    writer.Write(message);
  }

  // The object "0123456789", without an etag but with its SHA-256 declared: the first
  // stream breaks after "0123", the second sends `rest` (what the store holds by then).
  void BreakAfterFourBytesThenSend(std::string rest) {
    const std::string declared = Sha256::Hex("0123456789");
    service_.download = [declared, rest](const v1::DownloadRequest& request, auto& writer,
                                         int call) {
      if (call == 1) {
        Send(writer, 10, 0, 10, "", declared);
        SendData(writer, "0123");
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "upstream went away");
      }
      Send(writer, 10, request.offset(), request.limit(), "", declared);
      SendData(writer, rest);
      SendTrailer(writer, Sha256::Hex(rest), static_cast<int64_t>(rest.size()));
      return grpc::Status::OK;
    };
  }

  ScriptedGateway service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ScriptedGatewayTest, WrongTrailerChecksumIsDataLossAndNoData) {
  service_.download = [](const v1::DownloadRequest&, auto& writer, int) {
    Send(writer, 5, 0, 5, "e");
    SendData(writer, "hello");
    SendTrailer(writer, Sha256::Hex("jello"), 5);
    return grpc::Status::OK;
  };
  absl::StatusOr<std::string> data = client_->Download("k");
  EXPECT_TRUE(absl::IsDataLoss(data.status())) << data.status();
}

TEST_F(ScriptedGatewayTest, StreamWithoutTrailerIsDataLoss) {
  service_.download = [](const v1::DownloadRequest&, auto& writer, int) {
    Send(writer, 5, 0, 5, "e");
    SendData(writer, "hel");
    return grpc::Status::OK;
  };
  EXPECT_TRUE(absl::IsDataLoss(client_->Download("k").status()));
}

TEST_F(ScriptedGatewayTest, BrokenStreamResumesFromTheNextByteOfTheSameVersion) {
  service_.download = [](const v1::DownloadRequest& request, auto& writer, int call) {
    if (call == 1) {
      Send(writer, 10, 0, 10, "v1");
      SendData(writer, "0123");
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "upstream went away");
    }
    Send(writer, 10, request.offset(), request.limit(), "v1");
    SendData(writer, "456789");
    SendTrailer(writer, Sha256::Hex("456789"), 6);
    return grpc::Status::OK;
  };
  absl::StatusOr<std::string> data = client_->Download("k");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, "0123456789");
  ASSERT_EQ(service_.requests.size(), 2u);
  EXPECT_EQ(service_.requests[1].offset(), 4);
  EXPECT_EQ(service_.requests[1].limit(), 6);
  EXPECT_EQ(service_.requests[1].if_match(), "v1");
}

// The client follows the gateway's rule (common/retry/repeat_rules.h): without an etag,
// only a whole object whose SHA-256 the store declared may be resumed.
TEST_F(ScriptedGatewayTest, BrokenStreamWithoutEtagOrChecksumIsNotResumed) {
  service_.download = [](const v1::DownloadRequest&, auto& writer, int) {
    Send(writer, 10, 0, 10, "");
    SendData(writer, "0123");
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "upstream went away");
  };
  absl::Status status = client_->Download("k").status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("cannot be resumed safely"));
  EXPECT_EQ(service_.requests.size(), 1u);
}

TEST_F(ScriptedGatewayTest, WholeObjectWithDeclaredChecksumResumesWithoutEtag) {
  BreakAfterFourBytesThenSend("456789");
  absl::StatusOr<std::string> data = client_->Download("k");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, "0123456789");
  EXPECT_EQ(service_.requests[1].if_match(), "");
}

// The object was replaced between the two streams: each stream checks out against its
// trailer, but the whole does not match the declared checksum.
TEST_F(ScriptedGatewayTest, ResumeWithoutEtagThatMixesVersionsIsDataLoss) {
  BreakAfterFourBytesThenSend("ABCDEF");
  absl::Status status = client_->Download("k").status();
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
}

}  // namespace
}  // namespace objgate

namespace objgate {
namespace {

TEST_F(ClientTest, ConditionalWritesAndCopy) {
  std::unique_ptr<Client> client = NewClient();
  UploadOptions create;
  create.if_none_match = "*";
  absl::StatusOr<UploadResult> first = client->Upload("k", "one", create);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(IsFailedPrecondition(client->Upload("k", "two", create).status()));

  UploadOptions replace;
  replace.if_match = first->etag;
  absl::StatusOr<UploadResult> second = client->Upload("k", "three", replace);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(IsFailedPrecondition(client->Upload("k", "four", replace).status()));

  absl::StatusOr<CopyResult> copied = client->Copy("k", "k2", CopyOptions{second->etag});
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(copied->key, "k2");
  EXPECT_EQ(copied->size, 5);
  EXPECT_EQ(copied->sha256, Sha256::Hex("three"));
  EXPECT_EQ(*client->Download("k2"), "three");
  EXPECT_TRUE(IsFailedPrecondition(client->Copy("k", "k3", CopyOptions{first->etag}).status()));
  EXPECT_TRUE(IsNotFound(client->Copy("missing", "k3").status()));

  EXPECT_TRUE(IsFailedPrecondition(client->Delete("k", DeleteOptions{first->etag})));
  ASSERT_TRUE(client->Delete("k", DeleteOptions{second->etag}).ok());
  EXPECT_TRUE(IsNotFound(client->Download("k").status()));
}

TEST_F(ClientTest, ResumableFileUploadContinuesWhereAnInterruptedRunStopped) {
  std::unique_ptr<Client> client = NewClient();
  test_support::TempDir dir;
  const std::string path = dir.path() + "/file.bin";
  const std::string data = test_support::TestBytes((20 << 20) + 7);
  std::ofstream(path, std::ios::binary) << data;

  // What a run killed after its first part leaves: an upload id in the state file, and
  // the store holding one part.
  absl::StatusOr<std::string> upload_id =
      client->StartResumableUpload("resumed.bin", {}, data.size(), Sha256::Hex(data));
  ASSERT_TRUE(upload_id.ok()) << upload_id.status();
  test_support::UploadOutcome paused =
      test_support::ContinueUpload(harness().stub(), client->config().tenant_id, *upload_id, 0,
                                   absl::string_view(data).substr(0, 9 << 20), /*finish=*/false);
  ASSERT_TRUE(paused.status.ok()) << paused.status.error_message();
  EXPECT_EQ(paused.response.persisted_size(), 8 << 20);
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  const std::string state_file = dir.path() + "/state";
  std::ofstream(state_file) << *upload_id << "\n"
                            << info.st_size << "\n"
                            << int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec
                            << "\n"
                            << Sha256::Hex(data) << "\n";

  ResumableUploadOptions options;
  options.state_file = state_file;
  int64_t resumed_at = -1;
  options.on_resume = [&](int64_t persisted) { resumed_at = persisted; };
  std::vector<int64_t> progress;
  options.upload.progress = [&](const TransferProgress& p) { progress.push_back(p.bytes_done); };
  absl::StatusOr<UploadResult> result = client->UploadFileResumable("resumed.bin", path, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(resumed_at, 8 << 20);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.front(), 8 << 20) << "the progress starts at what the store held";
  EXPECT_EQ(result->size, static_cast<int64_t>(data.size()));
  EXPECT_EQ(result->sha256, Sha256::Hex(data));
  EXPECT_EQ(*client->Download("resumed.bin"), data);
  EXPECT_FALSE(std::ifstream(state_file).good()) << "the state file outlived the upload";
  absl::StatusOr<ResumableUploadStatus> status = client->QueryUploadStatus(*upload_id);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->complete);
}

TEST_F(ClientTest, ResumableFileUploadOfAChangedFileStartsAgain) {
  std::unique_ptr<Client> client = NewClient();
  test_support::TempDir dir;
  const std::string path = dir.path() + "/file.bin";
  std::ofstream(path, std::ios::binary) << "new contents";
  absl::StatusOr<std::string> stale = client->StartResumableUpload("changed", {}, 3, "");
  ASSERT_TRUE(stale.ok()) << stale.status();
  const std::string state_file = dir.path() + "/state";
  // The state of an earlier version of the file: another size and time.
  std::ofstream(state_file) << *stale << "\n3\n1\n" << Sha256::Hex("old") << "\n";
  ResumableUploadOptions options;
  options.state_file = state_file;
  absl::StatusOr<UploadResult> result = client->UploadFileResumable("changed", path, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*client->Download("changed"), "new contents");
  EXPECT_TRUE(IsNotFound(client->QueryUploadStatus(*stale).status()))
      << "the stale upload was cancelled";
}

}  // namespace
}  // namespace objgate
