#include "tools/bench/object_clients.h"

#include <curl/curl.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/http_headers.h"
#include "common/sha256.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/http/http_client.h"
#include "storage/v1/storage.grpc.pb.h"

namespace objgate::bench {
namespace {

namespace v1 = ::storage::v1;

// Bytes per upload message and per libcurl buffer: the gateway's download chunk size.
constexpr size_t kChunkBytes = 256 * 1024;
constexpr absl::Duration kCallTimeout = absl::Minutes(30);

// The bytes every upload repeats: not all zero, though nothing on either path compresses.
const std::string& Pattern() {
  static const std::string* pattern = [] {
    auto* bytes = new std::string(kChunkBytes, '\0');
    uint32_t state = 2463534242u;
    for (char& byte : *bytes) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      byte = static_cast<char>(state);
    }
    return bytes;
  }();
  return *pattern;
}

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

class GatewayClient : public ObjectClient {
 public:
  GatewayClient(const std::string& target, std::string tenant) : tenant_(std::move(tenant)) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    // A connection of its own, like each libcurl handle on the direct path.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    stub_ = v1::ObjectStorage::NewStub(channel_);
    health_ = grpc::health::v1::Health::NewStub(channel_);
  }

  absl::Status Connect() override {
    if (channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
      return absl::OkStatus();
    }
    return absl::UnavailableError("cannot connect to the gateway");
  }

  absl::Status Upload(const std::string& key, int64_t size) override {
    grpc::ClientContext context;
    Prepare(context);
    v1::UploadResponse response;
    std::unique_ptr<grpc::ClientWriter<v1::UploadRequest>> writer =
        stub_->Upload(&context, &response);
    v1::UploadRequest message;
    message.mutable_spec()->set_key(key);
    message.mutable_spec()->set_size(size);
    bool open = writer->Write(message);
    message.set_data(Pattern());
    for (int64_t sent = 0; open && sent < size; sent += kChunkBytes) {
      if (size - sent < static_cast<int64_t>(kChunkBytes)) message.mutable_data()->resize(size - sent);
      open = writer->Write(message);
    }
    writer->WritesDone();
    return FromGrpc(writer->Finish(), absl::StrCat("upload of ", key));
  }

  absl::StatusOr<int64_t> Download(const std::string& key) override {
    grpc::ClientContext context;
    Prepare(context);
    v1::DownloadRequest request;
    request.set_key(key);
    std::unique_ptr<grpc::ClientReader<v1::DownloadResponse>> reader =
        stub_->Download(&context, request);
    v1::DownloadResponse message;
    int64_t bytes = 0;
    while (reader->Read(&message)) {
      if (message.has_data()) bytes += static_cast<int64_t>(message.data().size());
    }
    if (absl::Status status = FromGrpc(reader->Finish(), absl::StrCat("download of ", key));
        !status.ok()) {
      return status;
    }
    return bytes;
  }

  absl::Status Delete(const std::string& key) override {
    grpc::ClientContext context;
    Prepare(context);
    v1::DeleteRequest request;
    request.set_key(key);
    v1::DeleteResponse response;
    return FromGrpc(stub_->Delete(&context, request, &response), absl::StrCat("delete of ", key));
  }

  absl::Status Ping() override {
    grpc::ClientContext context;
    Prepare(context);
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return FromGrpc(health_->Check(&context, request, &response), "health check");
  }

  absl::Status Info() override {
    grpc::ClientContext context;
    Prepare(context);
    v1::ServerInfo info;
    return FromGrpc(stub_->GetServerInfo(&context, v1::GetServerInfoRequest(), &info),
                    "server info");
  }

 private:
  void Prepare(grpc::ClientContext& context) const {
    context.AddMetadata("x-tenant-id", tenant_);
    context.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
  }

  const std::string tenant_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ObjectStorage::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// An upload body: `remaining` bytes of the pattern, handed to libcurl's read callback.
struct PatternBody {
  int64_t remaining;
  size_t offset = 0;

  static size_t Read(char* buffer, size_t size, size_t count, void* self) {
    auto* body = static_cast<PatternBody*>(self);
    const std::string& pattern = Pattern();
    const size_t n = static_cast<size_t>(std::min<int64_t>(
        {static_cast<int64_t>(size * count), body->remaining,
         static_cast<int64_t>(pattern.size() - body->offset)}));
    std::memcpy(buffer, pattern.data() + body->offset, n);
    body->offset = (body->offset + n) % pattern.size();
    body->remaining -= static_cast<int64_t>(n);
    return n;
  }
};

size_t CountBytes(char*, size_t size, size_t count, void* total) {
  *static_cast<int64_t*>(total) += static_cast<int64_t>(size * count);
  return size * count;
}

void InitCurlOnce() {
  static absl::once_flag once;
  absl::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One libcurl handle kept alive between requests, with the gateway's buffer sizes and
// TCP_NODELAY: the transport of both direct clients, so that they differ only in the
// requests they send.
class CurlConnection {
 public:
  CurlConnection() : curl_(curl_easy_init()) {}

  // Sends `method` to `url` with `headers` and, when `upload_bytes` is set, that many bytes
  // of the pattern as the body. Returns how many body bytes the answer carried; fails on
  // a transport error or a status other than 2xx.
  absl::StatusOr<int64_t> Perform(const std::string& method, const std::string& url,
                                  curl_slist* headers, std::optional<int64_t> upload_bytes,
                                  absl::string_view what) {
    // Reset keeps the handle's connection, so every call after the first reuses it.
    CURL* curl = curl_.get();
    curl_easy_reset(curl);
    int64_t received = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    if (method != "GET" && method != "PUT") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, static_cast<long>(kChunkBytes));
    curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, static_cast<long>(kChunkBytes));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, absl::ToInt64Milliseconds(kCallTimeout));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CountBytes);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    PatternBody body{upload_bytes.value_or(0)};
    if (upload_bytes) {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(*upload_bytes));
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, &PatternBody::Read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &body);
    }

    const CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat(what, ": ", curl_easy_strerror(code)));
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status / 100 != 2) return absl::InternalError(absl::StrCat(what, ": HTTP ", status));
    return received;
  }

 private:
  std::unique_ptr<CURL, CurlDeleter> curl_;
};

// The REST store's routes, with the caller's tenant in a header.
class DirectClient : public ObjectClient {
 public:
  DirectClient(std::string base_url, const std::string& tenant)
      : base_url_(std::move(base_url)) {
    headers_.reset(curl_slist_append(nullptr, absl::StrCat("X-Tenant-ID: ", tenant).c_str()));
    curl_slist_append(headers_.get(), "Content-Type: application/octet-stream");
    curl_slist_append(headers_.get(), "Expect:");
  }

  absl::Status Connect() override { return Ping(); }

  absl::Status Ping() override {
    return Send("GET", absl::StrCat(base_url_, "/minio/health/live"), std::nullopt,
                "liveness check")
        .status();
  }

  absl::Status Info() override {
    return Send("GET", absl::StrCat(base_url_, "/"), std::nullopt, "server info").status();
  }

  absl::Status Upload(const std::string& key, int64_t size) override {
    return Send("PUT", ObjectUrl("upload", key), size, absl::StrCat("upload of ", key))
        .status();
  }

  absl::StatusOr<int64_t> Download(const std::string& key) override {
    return Send("GET", ObjectUrl("download", key), std::nullopt,
                absl::StrCat("download of ", key));
  }

  absl::Status Delete(const std::string& key) override {
    return Send("DELETE", ObjectUrl("delete", key), std::nullopt,
                absl::StrCat("delete of ", key))
        .status();
  }

 private:
  // Bench keys need no escaping.
  std::string ObjectUrl(absl::string_view route, const std::string& key) const {
    return absl::StrCat(base_url_, "/", route, "?key=", key);
  }

  absl::StatusOr<int64_t> Send(const std::string& method, const std::string& url,
                               std::optional<int64_t> upload_bytes, absl::string_view what) {
    return connection_.Perform(method, url, headers_.get(), upload_bytes, what);
  }

  const std::string base_url_;
  CurlConnection connection_;
  std::unique_ptr<curl_slist, SlistDeleter> headers_;
};

// The hex SHA-256 of the first `size` bytes of the pattern repeated, the body that
// PatternBody sends.
std::string PatternSha256(int64_t size) {
  const std::string& pattern = Pattern();
  Sha256 hash;
  for (int64_t hashed = 0; hashed < size; hashed += static_cast<int64_t>(pattern.size())) {
    hash.Update(absl::string_view(pattern).substr(
        0, static_cast<size_t>(std::min<int64_t>(size - hashed, pattern.size()))));
  }
  return hash.HexDigest();
}

// S3's object requests on the bucket, signed like the gateway's.
class S3DirectClient : public ObjectClient {
 public:
  S3DirectClient(S3Target target, const std::string& tenant)
      : target_(std::move(target)), key_prefix_(absl::StrCat(tenant, "/")) {}

  absl::Status Connect() override { return Ping(); }

  // Unsigned, as the gateway's liveness probe: RGW answers it as an anonymous ListBuckets.
  absl::Status Ping() override {
    std::unique_ptr<curl_slist, SlistDeleter> headers(curl_slist_append(nullptr, "Expect:"));
    return connection_
        .Perform("GET",
                 absl::StrCat(target_.endpoint.scheme, "://", target_.endpoint.host, "/"),
                 headers.get(), std::nullopt, "liveness check")
        .status();
  }

  // The gateway's GetServerInfo asks S3 exactly this.
  absl::Status Info() override {
    S3Request request;
    request.bucket = target_.bucket;
    request.query = {{"list-type", "2"}, {"max-keys", "0"}};
    return Send(request, EmptySha256(), std::nullopt, "server info").status();
  }

  absl::Status Upload(const std::string& key, int64_t size) override {
    S3Request request = ObjectRequest("PUT", key);
    request.headers.Add("Content-Type", "application/octet-stream");
    return Send(request, PatternSha256(size), size, absl::StrCat("upload of ", key)).status();
  }

  absl::StatusOr<int64_t> Download(const std::string& key) override {
    return Send(ObjectRequest("GET", key), EmptySha256(), std::nullopt,
                absl::StrCat("download of ", key));
  }

  // S3 answers 204 whether or not the key existed.
  absl::Status Delete(const std::string& key) override {
    return Send(ObjectRequest("DELETE", key), EmptySha256(), std::nullopt,
                absl::StrCat("delete of ", key))
        .status();
  }

 private:
  static const std::string& EmptySha256() {
    static const std::string* hex = new std::string(Sha256::Hex(""));
    return *hex;
  }

  S3Request ObjectRequest(std::string method, const std::string& key) const {
    S3Request request;
    request.method = std::move(method);
    request.bucket = target_.bucket;
    request.key = absl::StrCat(key_prefix_, key);
    return request;
  }

  absl::StatusOr<int64_t> Send(const S3Request& request, absl::string_view payload_sha256,
                               std::optional<int64_t> upload_bytes, absl::string_view what) {
    const HttpRequest http = SignS3Request(target_.endpoint, request, target_.credentials,
                                           absl::Now(), payload_sha256);
    // No "Expect: 100-continue", as on every other path: it costs a round trip per upload.
    std::unique_ptr<curl_slist, SlistDeleter> headers(curl_slist_append(nullptr, "Expect:"));
    for (const auto& [name, value] : http.headers.entries()) {
      curl_slist_append(headers.get(), absl::StrCat(name, ": ", value).c_str());
    }
    return connection_.Perform(http.method, http.url, headers.get(), upload_bytes, what);
  }

  const S3Target target_;
  const std::string key_prefix_;
  CurlConnection connection_;
};

}  // namespace

std::unique_ptr<ObjectClient> NewGatewayClient(const std::string& target,
                                               const std::string& tenant) {
  return std::make_unique<GatewayClient>(target, tenant);
}

std::unique_ptr<ObjectClient> NewDirectClient(const std::string& base_url,
                                              const std::string& tenant) {
  InitCurlOnce();
  return std::make_unique<DirectClient>(base_url, tenant);
}

std::unique_ptr<ObjectClient> NewS3DirectClient(const S3Target& target,
                                                const std::string& tenant) {
  InitCurlOnce();
  return std::make_unique<S3DirectClient>(target, tenant);
}

}  // namespace objgate::bench
