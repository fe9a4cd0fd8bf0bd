// upstream_floor: the least a gateway of the REST store costs on this machine, for the
// bench's small-object rows. It serves the gateway's Upload and Download of small objects
// and does for each the one exchange with the store that the gateway does (PUT /upload,
// GET /download, the caller's tenant in X-Tenant-ID), with none of the gateway's other
// work: no validation, checksums, retries, metrics or logs. Its messages are the gRPC
// ceiling's (a head, the data, a trailer), so that what it costs beyond the ceiling is the
// hop to the store, and what the gateway costs beyond it is the gateway's own.
//
// --http picks how the exchange waits for the store:
//   multi     on libcurl's multi interface, every exchange on one thread
//             (CurlMultiHttpClient), and the answer written from there: no thread per call;
//   blocking  as the gateway does today: the call handed to a thread of the
//             BlockingExecutor, which performs the exchange on CurlHttpClient and writes.
// Objects are held whole in memory, so it refuses one over --max_object_bytes. It prints
// "listening on 127.0.0.1:PORT" once it serves.

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/url_encoding.h"
#include "server/http/curl_http_client.h"
#include "server/http/curl_multi_http_client.h"
#include "server/http/http_client.h"
#include "server/service/blocking_executor.h"
#include "storage/v1/storage.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "Address to serve on.");
ABSL_FLAG(std::string, upstream, "", "The REST store's URL, e.g. http://127.0.0.1:9000.");
ABSL_FLAG(std::string, http, "multi",
          "How exchanges with the store wait: multi (libcurl's multi interface on one thread) "
          "or blocking (a thread each, as the gateway).");
ABSL_FLAG(int64_t, max_object_bytes, 4 << 20, "The largest object served.");
ABSL_FLAG(int, max_connections, 64, "Connections to the store at most.");

namespace objgate::bench {
namespace {

namespace v1 = ::storage::v1;

constexpr char kUpload[] = "/storage.v1.ObjectStorage/Upload";
constexpr char kDownload[] = "/storage.v1.ObjectStorage/Download";

template <typename Message>
grpc::ByteBuffer Serialize(const Message& message) {
  grpc::ByteBuffer buffer;
  bool own = false;
  (void)grpc::SerializationTraits<Message>::Serialize(message, &buffer, &own);
  return buffer;
}

template <typename Message>
bool Parse(grpc::ByteBuffer& buffer, Message& message) {
  return grpc::SerializationTraits<Message>::Deserialize(&buffer, &message).ok();
}

using Answer = absl::StatusOr<BufferedResponse>;
using AnswerCallback = std::function<void(Answer)>;

// Performs one exchange with the store and calls back with its answer, from some thread.
class Exchanger {
 public:
  virtual ~Exchanger() = default;
  virtual void Exchange(HttpRequest request, size_t max_body_bytes, AnswerCallback done) = 0;
};

class MultiExchanger : public Exchanger {
 public:
  explicit MultiExchanger(std::unique_ptr<CurlMultiHttpClient> client)
      : client_(std::move(client)) {}
  void Exchange(HttpRequest request, size_t max_body_bytes, AnswerCallback done) override {
    StartBuffered(*client_, std::move(request), max_body_bytes, std::move(done));
  }

 private:
  std::unique_ptr<CurlMultiHttpClient> client_;
};

class BlockingExchanger : public Exchanger {
 public:
  explicit BlockingExchanger(std::unique_ptr<CurlHttpClient> client) : client_(std::move(client)) {}
  void Exchange(HttpRequest request, size_t max_body_bytes, AnswerCallback done) override {
    executor_.Schedule(
        [this, request = std::move(request), max_body_bytes, done = std::move(done)] {
          done(PerformBuffered(*client_, request, max_body_bytes));
        });
  }

 private:
  std::unique_ptr<CurlHttpClient> client_;
  BlockingExecutor executor_;
};

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// The store's answer as the call's status: OK for 2xx, else what the store said.
grpc::Status FromAnswer(const Answer& answer) {
  if (!answer.ok()) return ToGrpc(answer.status());
  if (answer->status / 100 == 2) return grpc::Status::OK;
  const grpc::StatusCode code =
      answer->status == 404 ? grpc::StatusCode::NOT_FOUND : grpc::StatusCode::UNKNOWN;
  return grpc::Status(code, absl::StrCat("store answered ", answer->status, ": ", answer->body));
}

struct Config {
  std::string upstream;
  size_t max_object_bytes = 0;
  Exchanger* exchanger = nullptr;
};

// One Upload or Download; other methods are UNIMPLEMENTED.
class Call : public grpc::ServerGenericBidiReactor {
 public:
  Call(grpc::GenericCallbackServerContext* context, const Config& config)
      : method_(context->method()), config_(config) {
    auto tenant = context->client_metadata().find("x-tenant-id");
    if (tenant != context->client_metadata().end()) {
      tenant_.assign(tenant->second.data(), tenant->second.size());
    }
    if (method_ == kUpload || method_ == kDownload) {
      StartRead(&in_);
    } else {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, method_));
    }
  }

 private:
  HttpRequest Request(const char* method, const char* path, const std::string& key) {
    HttpRequest request;
    request.method = method;
    request.url = absl::StrCat(config_.upstream, path, "?key=", UrlEncode(key));
    if (!tenant_.empty()) request.headers.Add("X-Tenant-ID", tenant_);
    return request;
  }

  void OnReadDone(bool ok) override {
    if (method_ == kUpload) return OnUploadRead(ok);
    v1::DownloadRequest request;
    if (!ok || !Parse(in_, request)) return Finish(Malformed());
    key_ = request.key();
    config_.exchanger->Exchange(Request("GET", "/download", key_), config_.max_object_bytes,
                                [this](Answer answer) { OnDownloadAnswer(std::move(answer)); });
  }

  void OnDownloadAnswer(Answer answer) {
    if (grpc::Status status = FromAnswer(answer); !status.ok()) return Finish(status);
    const int64_t size = static_cast<int64_t>(answer->body.size());
    v1::DownloadResponse head;
    head.mutable_metadata()->set_key(key_);
    head.mutable_metadata()->set_size(size);
    head.mutable_metadata()->set_length(size);
    v1::DownloadResponse data;
    data.set_data(std::move(answer->body));
    v1::DownloadResponse trailer;
    trailer.mutable_trailer()->set_size(size);
    data_ = Serialize(data);
    trailer_ = Serialize(trailer);
    out_ = Serialize(head);
    StartWrite(&out_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "caller gone"));
    if (data_.Length() > 0) {
      out_ = std::move(data_);
      data_.Clear();
      return StartWrite(&out_);
    }
    StartWriteAndFinish(&trailer_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnUploadRead(bool ok) {
    if (ok) {
      v1::UploadRequest request;
      if (!Parse(in_, request)) return Finish(Malformed());
      if (request.has_spec()) key_ = request.spec().key();
      body_ += request.data();
      if (body_.size() > config_.max_object_bytes) {
        return Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "upstream_floor serves small objects only"));
      }
      return StartRead(&in_);
    }
    body_source_ = std::make_unique<StringByteSource>(body_);
    HttpRequest request = Request("PUT", "/upload", key_);
    request.headers.Add("Content-Type", "application/octet-stream");
    request.body = body_source_.get();
    request.body_size = body_.size();
    config_.exchanger->Exchange(std::move(request), 64 << 10,
                                [this](Answer answer) { OnUploadAnswer(std::move(answer)); });
  }

  void OnUploadAnswer(Answer answer) {
    if (grpc::Status status = FromAnswer(answer); !status.ok()) return Finish(status);
    v1::UploadResponse response;
    response.set_key(key_);
    response.set_size(static_cast<int64_t>(body_.size()));
    out_ = Serialize(response);
    StartWriteAndFinish(&out_, grpc::WriteOptions(), grpc::Status::OK);
  }

  static grpc::Status Malformed() {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed or missing request");
  }

  void OnDone() override { delete this; }

  const std::string method_;
  const Config& config_;
  std::string tenant_;
  std::string key_;
  std::string body_;
  std::unique_ptr<StringByteSource> body_source_;
  grpc::ByteBuffer in_;
  grpc::ByteBuffer out_;
  grpc::ByteBuffer data_;
  grpc::ByteBuffer trailer_;
};

class Service : public grpc::CallbackGenericService {
 public:
  explicit Service(const Config& config) : config_(config) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Call(context, config_);
  }

 private:
  const Config& config_;
};

int Main() {
  Config config;
  config.upstream = absl::GetFlag(FLAGS_upstream);
  config.max_object_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_object_bytes));
  if (config.upstream.empty()) {
    std::cerr << "upstream_floor: --upstream is required\n";
    return 2;
  }
  CurlHttpClientOptions options;
  options.max_connections = static_cast<size_t>(absl::GetFlag(FLAGS_max_connections));
  std::unique_ptr<Exchanger> exchanger;
  const std::string http = absl::GetFlag(FLAGS_http);
  if (http == "multi") {
    auto client = CurlMultiHttpClient::Create(options);
    if (!client.ok()) {
      std::cerr << "upstream_floor: " << client.status() << "\n";
      return 2;
    }
    exchanger = std::make_unique<MultiExchanger>(*std::move(client));
  } else if (http == "blocking") {
    auto client = CurlHttpClient::Create(options);
    if (!client.ok()) {
      std::cerr << "upstream_floor: " << client.status() << "\n";
      return 2;
    }
    exchanger = std::make_unique<BlockingExchanger>(*std::move(client));
  } else {
    std::cerr << "upstream_floor: --http is multi or blocking, not \"" << http << "\"\n";
    return 2;
  }
  config.exchanger = exchanger.get();

  grpc::EnableDefaultHealthCheckService(true);
  Service service(config);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  builder.SetMaxReceiveMessageSize(16 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "upstream_floor: cannot serve on " << absl::GetFlag(FLAGS_listen) << "\n";
    return 1;
  }
  const std::string& listen = absl::GetFlag(FLAGS_listen);
  std::cout << "listening on " << listen.substr(0, listen.rfind(':')) << ":" << port << std::endl;
  server->Wait();
  return 0;
}

}  // namespace
}  // namespace objgate::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The least a gateway of the REST store costs, for objgate_bench: small Uploads and "
      "Downloads, each one exchange with the store and nothing else.");
  absl::ParseCommandLine(argc, argv);
  return objgate::bench::Main();
}
