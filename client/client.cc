#include "client/client.h"

#include <cstdio>
#include <fstream>
#include <istream>
#include <ostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/client_internal.h"
#include "common/clock.h"
#include "common/crc32c.h"
#include "common/retry/repeat_rules.h"
#include "common/retry/retry_loop.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"

namespace objgate {

namespace v1 = ::storage::v1;

using client_internal::FromGrpc;
using client_internal::Report;
using client_internal::SetChecksummedData;

// The bytes of an upload: a ByteSource that can start again from its first byte where
// the source allows, for a retry.
namespace client_internal {

class UploadSource : public ByteSource {
 public:
  // Back to the first byte, for another attempt; false when that is impossible.
  virtual bool Rewind() = 0;
  virtual std::optional<int64_t> size() const = 0;
  // The SHA-256 of the whole body when known before sending, so that the gateway checks
  // it end to end; empty otherwise.
  virtual std::string sha256() const { return ""; }
};

}  // namespace client_internal

namespace {

absl::Time TimeOf(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

class MemorySource : public client_internal::UploadSource {
 public:
  explicit MemorySource(absl::string_view data)
      : data_(data), bytes_(data), sha256_(Sha256::Hex(data)) {}
  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override { return bytes_.Read(buffer); }
  bool Rewind() override {
    bytes_.Rewind();
    return true;
  }
  std::optional<int64_t> size() const override { return static_cast<int64_t>(data_.size()); }
  std::string sha256() const override { return sha256_; }

 private:
  const absl::string_view data_;
  StringByteSource bytes_;
  const std::string sha256_;
};

class StreamSource : public client_internal::UploadSource {
 public:
  explicit StreamSource(std::istream& in) : in_(in), start_(in.tellg()) {
    if (start_ != std::streampos(-1)) {
      in_.seekg(0, std::ios::end);
      const std::streampos end = in_.tellg();
      in_.seekg(start_);
      if (end != std::streampos(-1)) size_ = static_cast<int64_t>(end - start_);
    }
  }
  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    in_.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in_.bad()) return absl::DataLossError("reading the upload's source failed");
    return static_cast<size_t>(in_.gcount());
  }
  bool Rewind() override {
    if (start_ == std::streampos(-1)) return false;
    in_.clear();
    in_.seekg(start_);
    return !in_.fail();
  }
  std::optional<int64_t> size() const override { return size_; }

 private:
  std::istream& in_;
  const std::streampos start_;
  std::optional<int64_t> size_;
};

// A download that cannot take back bytes it was given is fine: a failed download is an
// error, and then its bytes are not to be used.
class OstreamSink : public ByteSink {
 public:
  explicit OstreamSink(std::ostream& out) : out_(out) {}
  absl::Status Write(absl::string_view bytes) override {
    out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out_) return absl::DataLossError("writing the download's destination failed");
    return absl::OkStatus();
  }

 private:
  std::ostream& out_;
};

}  // namespace

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ClientConfig& config) {
  if (!config.UsesTls()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  for (auto [path, pem] : {std::pair{&config.ca_file, &ssl.pem_root_certs},
                           std::pair{&config.cert_file, &ssl.pem_cert_chain},
                           std::pair{&config.key_file, &ssl.pem_private_key}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> contents = ReadFile(*path);
    if (!contents.ok()) return contents.status();
    *pem = *std::move(contents);
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientConfig config) {
  if (absl::Status valid = config.Validate(); !valid.ok()) return valid;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentialsFor(config);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(8 << 20);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(config.target, *credentials, args);
  return Create(std::move(config), std::move(channel));
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientConfig config,
                                                       std::shared_ptr<grpc::Channel> channel) {
  if (absl::Status valid = config.Validate(); !valid.ok()) return valid;
  RetryOptions retry;
  retry.max_retries = config.max_retries;
  retry.base_delay = config.base_delay;
  retry.max_delay = config.max_delay;
  absl::StatusOr<BackoffPolicy> backoff = BackoffPolicy::Create(retry);
  if (!backoff.ok()) return backoff.status();
  return std::unique_ptr<Client>(new Client(std::move(config), *backoff, std::move(channel)));
}

Client::Client(ClientConfig config, BackoffPolicy backoff, std::shared_ptr<grpc::Channel> channel)
    : config_(std::move(config)),
      backoff_(std::move(backoff)),
      channel_(std::move(channel)),
      stub_(v1::ObjectStorage::NewStub(channel_)) {}

Client::~Client() { Close(); }

void Client::Close() {
  absl::MutexLock lock(&mu_);
  stub_.reset();
  channel_.reset();
}

absl::StatusOr<std::shared_ptr<v1::ObjectStorage::Stub>> Client::Stub() const {
  absl::MutexLock lock(&mu_);
  if (stub_ == nullptr) return absl::FailedPreconditionError("the client is closed");
  return stub_;
}

absl::Time Client::DeadlineFor(std::optional<absl::Duration> timeout) const {
  return absl::Now() + timeout.value_or(config_.timeout);
}

std::unique_ptr<grpc::ClientContext> Client::NewContext(absl::Time deadline,
                                                        bool with_tenant) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(deadline));
  if (with_tenant) context->AddMetadata("x-tenant-id", config_.tenant_id);
  if (!config_.bearer_token.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", config_.bearer_token));
  }
  return context;
}

absl::StatusOr<UploadResult> Client::Upload(absl::string_view key, absl::string_view data,
                                            const UploadOptions& options) {
  MemorySource source(data);
  return UploadFromSource(key, source, options);
}

absl::StatusOr<UploadResult> Client::UploadFrom(absl::string_view key, std::istream& in,
                                                const UploadOptions& options) {
  StreamSource source(in);
  return UploadFromSource(key, source, options);
}

absl::StatusOr<UploadResult> Client::UploadFile(absl::string_view key, const std::string& path,
                                                const UploadOptions& options) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  return UploadFrom(key, file, options);
}

absl::StatusOr<UploadResult> Client::UploadFromSource(absl::string_view key, UploadSource& body,
                                                      const UploadOptions& options) {
  absl::StatusOr<std::shared_ptr<v1::ObjectStorage::Stub>> stub = Stub();
  if (!stub.ok()) return stub.status();
  const absl::Time deadline = DeadlineFor(options.timeout);
  const std::optional<int64_t> total = body.size();
  std::string buffer(config_.chunk_bytes, '\0');
  int attempts = 0;

  auto attempt = [&]() -> absl::StatusOr<UploadResult> {
    if (attempts++ > 0 && !body.Rewind()) {
      return absl::UnavailableError(
          "upload failed and its source cannot be read again; retry it from the source");
    }
    auto context = NewContext(deadline, /*with_tenant=*/true);
    v1::UploadResponse response;
    std::unique_ptr<grpc::ClientWriter<v1::UploadRequest>> writer =
        (*stub)->Upload(context.get(), &response);
    v1::UploadRequest message;
    v1::ObjectSpec* spec = message.mutable_spec();
    spec->set_key(std::string(key));
    spec->set_content_type(options.content_type);
    if (total) spec->set_size(*total);
    spec->set_sha256(body.sha256());
    for (const auto& [name, value] : options.metadata) (*spec->mutable_metadata())[name] = value;
    spec->set_if_none_match(options.if_none_match);
    spec->set_if_match(options.if_match);

    Sha256 hash;
    uint32_t crc32c = 0;
    int64_t sent = 0;
    bool open = writer->Write(message);
    while (open) {
      absl::StatusOr<size_t> n = body.Read(absl::MakeSpan(buffer));
      if (!n.ok()) {
        context->TryCancel();
        writer->Finish();
        return n.status();
      }
      if (*n == 0) {
        // The explicit end: the gateway stores nothing for a stream that merely stops.
        message.Clear();
        message.set_finish_write(true);
        writer->WriteLast(message, grpc::WriteOptions());  // a failure shows in Finish
        break;
      }
      const absl::string_view chunk(buffer.data(), *n);
      hash.Update(chunk);
      SetChecksummedData(message, chunk, crc32c);
      open = writer->Write(message);
      sent += static_cast<int64_t>(*n);
      Report(options.progress, sent, total.value_or(-1));
    }
    absl::Status status = FromGrpc(writer->Finish());
    if (absl::IsFailedPrecondition(status) && attempts > 1 &&
        !(options.if_none_match.empty() && options.if_match.empty())) {
      // A repeated conditional upload refused by what an earlier attempt, whose answer was
      // lost, stored: it succeeded if the object now holds exactly these bytes.
      const std::string sent_sha256 = hash.HexDigest();
      absl::StatusOr<ObjectInfo> stored = Stat(key);
      if (stored.ok() && stored->sha256 == sent_sha256 && stored->size == sent) {
        return UploadResult{"uploaded", std::string(key), sent, sent_sha256, stored->etag};
      }
    }
    if (!status.ok()) return status;
    UploadResult result;
    result.key = response.key();
    result.size = response.size();
    result.sha256 = response.sha256();
    result.etag = response.etag();
    if (result.size != sent || result.sha256 != hash.HexDigest() ||
        (response.has_crc32c() && response.crc32c() != crc32c)) {
      return absl::DataLossError(
          absl::StrCat("the gateway stored ", result.size, " bytes hashing to ", result.sha256,
                       " (CRC32C ", Crc32cHex(response.crc32c()), "); ", sent, " bytes hashing to ",
                       hash.HexDigest(), " (CRC32C ", Crc32cHex(crc32c), ") were sent"));
    }
    return result;
  };
  RetryLoop loop(backoff_, RealClock::Instance(), deadline);
  return loop.Run(attempt);
}

absl::StatusOr<std::string> Client::Download(absl::string_view key,
                                             const DownloadOptions& options) {
  StringByteSink sink;
  absl::StatusOr<DownloadResult> result = DownloadToSink(key, sink, options);
  if (!result.ok()) return result.status();
  return sink.Take();
}

absl::StatusOr<DownloadResult> Client::DownloadTo(absl::string_view key, std::ostream& out,
                                                  const DownloadOptions& options) {
  OstreamSink sink(out);
  return DownloadToSink(key, sink, options);
}

absl::StatusOr<DownloadResult> Client::DownloadToFile(absl::string_view key,
                                                      const std::string& path,
                                                      const DownloadOptions& options) {
  const std::string partial = absl::StrCat(path, ".partial");
  absl::StatusOr<DownloadResult> result;
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    if (!file) return absl::PermissionDeniedError(absl::StrCat("cannot write ", partial));
    result = DownloadTo(key, file, options);
    file.close();
    if (result.ok() && !file) {
      result = absl::DataLossError(absl::StrCat("writing ", partial, " failed"));
    }
  }
  if (!result.ok()) {
    std::remove(partial.c_str());
    return result;
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    std::remove(partial.c_str());
    return absl::PermissionDeniedError(absl::StrCat("cannot rename ", partial, " to ", path));
  }
  return result;
}

absl::StatusOr<DownloadResult> Client::DownloadToSink(absl::string_view key, ByteSink& sink,
                                                      const DownloadOptions& options) {
  if (options.offset < 0 || options.limit < 0) {
    return absl::InvalidArgumentError("offset and limit must be >= 0");
  }
  absl::StatusOr<std::shared_ptr<v1::ObjectStorage::Stub>> stub = Stub();
  if (!stub.ok()) return stub.status();
  const absl::Time deadline = DeadlineFor(options.timeout);

  std::optional<DownloadResult> result;  // from the first metadata message
  std::string declared_sha256;           // the store's, of the whole object
  Sha256 whole_hash;
  int64_t delivered = 0;

  auto attempt = [&]() -> absl::Status {
    v1::DownloadRequest request;
    request.set_key(std::string(key));
    request.set_if_match(options.if_match);
    if (!result) {
      request.set_offset(options.offset);
      request.set_limit(options.limit);
    } else {
      // Resume: the rest of the same version, from the next byte, under the rule the
      // gateway follows too.
      if (delivered == result->length) return absl::OkStatus();
      const bool whole_object = result->offset == 0 && result->length == result->object_size;
      if (!CanResumeDownload({result->etag, declared_sha256, whole_object})) {
        return absl::UnavailableError(absl::StrCat(
            "download of \"", key, "\" broke after ", delivered,
            " bytes and cannot be resumed safely: the object has no etag, and no declared "
            "checksum of the whole object that would catch a mix of two versions"));
      }
      request.set_offset(result->offset + delivered);
      request.set_limit(result->length - delivered);
      if (request.if_match().empty()) request.set_if_match(result->etag);
    }
    auto context = NewContext(deadline, /*with_tenant=*/true);
    std::unique_ptr<grpc::ClientReader<v1::DownloadResponse>> reader =
        (*stub)->Download(context.get(), request);
    v1::DownloadResponse message;
    Sha256 stream_hash;
    uint32_t stream_crc32c = 0;
    int64_t stream_bytes = 0;
    std::optional<v1::DownloadTrailer> trailer;
    absl::Status failure;
    while (failure.ok() && reader->Read(&message)) {
      if (message.has_metadata()) {
        const v1::ObjectMetadata& metadata = message.metadata();
        if (!result) {
          result = DownloadResult{metadata.key(),
                                  metadata.size(),
                                  metadata.offset(),
                                  metadata.length(),
                                  metadata.etag(),
                                  metadata.content_type(),
                                  ""};
          declared_sha256 = metadata.sha256();
        } else if (metadata.etag() != result->etag || metadata.size() != result->object_size ||
                   metadata.sha256() != declared_sha256) {
          failure = absl::UnavailableError("the object changed while its download resumed");
        }
      } else if (message.has_data()) {
        if (!result || delivered + static_cast<int64_t>(message.data().size()) > result->length) {
          failure = absl::DataLossError("the gateway sent more bytes than it announced");
          break;
        }
        // A message whose bytes fail their CRC32C was corrupted on its way: none of it
        // reaches the sink.
        const uint32_t crc32c = Crc32c(message.data());
        if (message.has_crc32c() && message.crc32c() != crc32c) {
          failure = absl::DataLossError(
              absl::StrCat("download of \"", key, "\": the ", message.data().size(),
                           " bytes at offset ", result->offset + delivered, " have CRC32C ",
                           Crc32cHex(crc32c), " but the gateway sent them with ",
                           Crc32cHex(message.crc32c()), ": corrupted in transit"));
          break;
        }
        stream_crc32c = Crc32cCombine(stream_crc32c, crc32c, message.data().size());
        stream_hash.Update(message.data());
        whole_hash.Update(message.data());
        stream_bytes += static_cast<int64_t>(message.data().size());
        delivered += static_cast<int64_t>(message.data().size());
        failure = sink.Write(message.data());
        Report(options.progress, delivered, result->length);
      } else if (message.has_trailer()) {
        trailer = message.trailer();
      }
    }
    if (!failure.ok()) {
      context->TryCancel();
      reader->Finish();
      return failure;
    }
    absl::Status status = client_internal::FromGrpcDownload(reader->Finish());
    if (!status.ok()) return status;
    if (!trailer || trailer->size() != stream_bytes ||
        (trailer->has_crc32c() && trailer->crc32c() != stream_crc32c) ||
        trailer->sha256() != stream_hash.HexDigest()) {
      return absl::DataLossError(
          absl::StrCat("download of \"", key, "\" did not check out against its trailer"));
    }
    return absl::OkStatus();
  };

  RetryLoop loop(backoff_, RealClock::Instance(), deadline);
  absl::Status status = loop.Run(attempt);
  if (!status.ok()) return status;
  if (!result || delivered != result->length) {
    return absl::DataLossError(
        absl::StrCat("download of \"", key, "\" ended after ", delivered, " bytes"));
  }
  result->sha256 = whole_hash.HexDigest();
  // Each stream was checked against its trailer; a whole object is checked as a whole
  // too, which is what makes a resume without an etag safe.
  if (result->offset == 0 && result->length == result->object_size && !declared_sha256.empty() &&
      result->sha256 != declared_sha256) {
    return absl::DataLossError(absl::StrCat("download of \"", key, "\" does not match the ",
                                            "SHA-256 its store declared"));
  }
  return *std::move(result);
}

absl::StatusOr<std::vector<std::string>> Client::List(absl::string_view prefix) {
  ListOptions options;
  options.prefix = std::string(prefix);
  absl::StatusOr<std::vector<ObjectInfo>> objects = ListObjects(options);
  if (!objects.ok()) return objects.status();
  std::vector<std::string> keys;
  keys.reserve(objects->size());
  for (ObjectInfo& object : *objects) keys.push_back(std::move(object.key));
  return keys;
}

absl::StatusOr<std::vector<ObjectInfo>> Client::ListObjects(const ListOptions& options) {
  absl::StatusOr<Listing> listing = ListObjectsAndPrefixes(options);
  if (!listing.ok()) return listing.status();
  return std::move(listing->objects);
}

absl::StatusOr<Listing> Client::ListObjectsAndPrefixes(const ListOptions& options) {
  absl::StatusOr<std::shared_ptr<v1::ObjectStorage::Stub>> stub = Stub();
  if (!stub.ok()) return stub.status();
  const absl::Time deadline = DeadlineFor(std::nullopt);
  Listing listing;
  // The last item received, object or prefix: a retry continues after it.
  std::string last_item;

  auto attempt = [&]() -> absl::Status {
    v1::ListRequest request;
    request.set_prefix(options.prefix);
    request.set_delimiter(options.delimiter);
    request.set_start_after(last_item.empty() ? options.start_after : last_item);
    if (options.limit > 0) {
      const int64_t remaining =
          options.limit - static_cast<int64_t>(listing.objects.size() + listing.prefixes.size());
      if (remaining <= 0) return absl::OkStatus();
      request.set_limit(remaining);
    }
    auto context = NewContext(deadline, /*with_tenant=*/true);
    std::unique_ptr<grpc::ClientReader<v1::ListResponse>> reader =
        (*stub)->List(context.get(), request);
    v1::ListResponse page;
    while (reader->Read(&page)) {
      for (v1::ObjectEntry& entry : *page.mutable_entries()) {
        ObjectInfo info;
        info.key = std::move(*entry.mutable_key());
        info.size = entry.size();
        info.last_modified = TimeOf(entry.last_modified());
        info.etag = std::move(*entry.mutable_etag());
        info.content_type = std::move(*entry.mutable_content_type());
        last_item = std::max(last_item, info.key);
        listing.objects.push_back(std::move(info));
      }
      for (std::string& prefix : *page.mutable_prefixes()) {
        last_item = std::max(last_item, prefix);
        listing.prefixes.push_back(std::move(prefix));
      }
    }
    return FromGrpc(reader->Finish());
  };
  RetryLoop loop(backoff_, RealClock::Instance(), deadline);
  if (absl::Status status = loop.Run(attempt); !status.ok()) return status;
  return listing;
}

absl::StatusOr<ObjectInfo> Client::Stat(absl::string_view key) {
  v1::StatRequest request;
  request.set_key(std::string(key));
  return CallWithRetries<absl::StatusOr<ObjectInfo>>(
      DeadlineFor(std::nullopt), /*with_tenant=*/true,
      [&](v1::ObjectStorage::Stub& stub,
          grpc::ClientContext& context) -> absl::StatusOr<ObjectInfo> {
        v1::ObjectInfo info;
        absl::Status status = FromGrpc(stub.Stat(&context, request, &info));
        if (!status.ok()) return status;
        ObjectInfo object;
        object.key = info.key();
        object.size = info.size();
        object.last_modified = TimeOf(info.last_modified());
        object.etag = info.etag();
        object.content_type = info.content_type();
        object.sha256 = info.sha256();
        object.metadata.insert(info.metadata().begin(), info.metadata().end());
        return object;
      });
}

absl::Status Client::Delete(absl::string_view key, const DeleteOptions& options) {
  v1::DeleteRequest request;
  request.set_key(std::string(key));
  request.set_if_match(options.if_match);
  int attempts = 0;
  return CallWithRetries<absl::Status>(
      DeadlineFor(std::nullopt), /*with_tenant=*/true,
      [&](v1::ObjectStorage::Stub& stub, grpc::ClientContext& context) {
        v1::DeleteResponse response;
        absl::Status status = FromGrpc(stub.Delete(&context, request, &response));
        return OutcomeOfDelete(status, ++attempts > 1);
      });
}

absl::StatusOr<CopyResult> Client::Copy(absl::string_view source_key,
                                        absl::string_view destination_key,
                                        const CopyOptions& options) {
  v1::CopyRequest request;
  request.set_source_key(std::string(source_key));
  request.set_destination_key(std::string(destination_key));
  request.set_source_if_match(options.source_if_match);
  // Repeating a copy writes the same destination again: safe to retry.
  return CallWithRetries<absl::StatusOr<CopyResult>>(
      DeadlineFor(std::nullopt), /*with_tenant=*/true,
      [&](v1::ObjectStorage::Stub& stub,
          grpc::ClientContext& context) -> absl::StatusOr<CopyResult> {
        v1::CopyResponse response;
        absl::Status status = FromGrpc(stub.Copy(&context, request, &response));
        if (!status.ok()) return status;
        return CopyResult{response.key(), response.size(), response.etag(), response.sha256()};
      });
}

absl::StatusOr<ServerInfo> Client::GetServerInfo() {
  return CallWithRetries<absl::StatusOr<ServerInfo>>(
      DeadlineFor(std::nullopt), /*with_tenant=*/false,
      [&](v1::ObjectStorage::Stub& stub,
          grpc::ClientContext& context) -> absl::StatusOr<ServerInfo> {
        v1::ServerInfo info;
        absl::Status status =
            FromGrpc(stub.GetServerInfo(&context, v1::GetServerInfoRequest(), &info));
        if (!status.ok()) return status;
        return ServerInfo{
            info.status(),      info.version(),
            info.performance(), info.gateway_version(),
            info.dialect(),     {info.capabilities().begin(), info.capabilities().end()}};
      });
}

absl::StatusOr<bool> Client::HealthCheck() {
  return CallWithRetries<absl::StatusOr<bool>>(
      DeadlineFor(std::nullopt), /*with_tenant=*/false,
      [&](v1::ObjectStorage::Stub& stub, grpc::ClientContext& context) -> absl::StatusOr<bool> {
        v1::HealthResponse health;
        absl::Status status = FromGrpc(stub.Health(&context, v1::HealthRequest(), &health));
        if (!status.ok()) return status;
        return health.live() && health.ready();
      });
}

absl::StatusOr<std::unique_ptr<Client>> CreateClient(std::string target, std::string tenant_id,
                                                     absl::Duration timeout, int max_retries) {
  ClientConfig config;
  config.target = std::move(target);
  config.tenant_id = std::move(tenant_id);
  config.timeout = timeout;
  config.max_retries = max_retries;
  return Client::Create(std::move(config));
}

}  // namespace objgate
