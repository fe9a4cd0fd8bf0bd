#include "server/service/storage_service.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/service/download_stream.h"
#include "server/service/request_validation.h"
#include "server/service/timestamps.h"
#include "server/service/upload_stream.h"
#include "server/upstream/object_head.h"
#include "server/upstream/resumable_upload.h"

namespace objgate {
namespace {

namespace v1 = ::storage::v1;

// Upload messages read ahead of the upstream request.
constexpr size_t kUploadReadAheadBytes = 1 << 20;
// List pages waiting to be written.
constexpr size_t kQueuedListBytes = 1 << 20;

template <typename Message>
absl::Status Parse(const grpc::ByteBuffer& bytes, Message& message) {
  grpc::ByteBuffer copy = bytes;  // Deserialize consumes its buffer; a copy shares the slices
  if (!grpc::SerializationTraits<Message>::Deserialize(&copy, &message).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request is not a valid ", Message::descriptor()->full_name()));
  }
  return absl::OkStatus();
}

template <typename Message>
absl::Status Serialize(const Message& message, grpc::ByteBuffer& bytes) {
  bool own_buffer = false;
  grpc::Status status = grpc::SerializationTraits<Message>::Serialize(message, &bytes, &own_buffer);
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("cannot serialise the answer: ", status.error_message()));
}

// What the access log names as the call's key.
absl::string_view KeyOf(const v1::DownloadRequest& request) { return request.key(); }
absl::string_view KeyOf(const v1::ListRequest& request) { return request.prefix(); }
absl::string_view KeyOf(const v1::DeleteRequest& request) { return request.key(); }
absl::string_view KeyOf(const v1::StatRequest& request) { return request.key(); }
absl::string_view KeyOf(const v1::CopyRequest& request) { return request.destination_key(); }
absl::string_view KeyOf(const v1::StartResumableUploadRequest& request) {
  return request.spec().key();
}
absl::string_view KeyOf(const google::protobuf::Message&) { return ""; }

}  // namespace

StorageService::StorageService(Upstream& upstream, CallObserver& observer,
                               StorageServiceOptions options)
    : upstream_(upstream),
      observer_(observer),
      options_(std::move(options)),
      executor_(options_.executor) {}

template <typename Request, typename Response, typename Work>
grpc::ServerUnaryReactor* StorageService::ServeUnary(grpc::CallbackServerContext* context,
                                                     absl::string_view method, Scope scope,
                                                     const grpc::ByteBuffer* request_bytes,
                                                     grpc::ByteBuffer* response_bytes, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  executor_.Schedule([=] {
    grpc::Status status;
    {
      ServiceCall call(*context, method, observer_, shutdown_);
      Request request;
      Response response;
      absl::Status result = Parse(*request_bytes, request);
      if (result.ok()) call.record().key = std::string(KeyOf(request));
      if (result.ok() && scope == Scope::kObject) result = call.AdmitTenant(options_.tenants);
      if (result.ok()) result = work(call, request, response);
      if (result.ok()) result = Serialize(response, *response_bytes);
      status = call.Finish(std::move(result));
    }
    // After the observer heard of the end, so that logs and metrics are complete once the
    // caller has its answer.
    reactor->Finish(std::move(status));
  });
  return reactor;
}

template <typename Request, typename Work>
grpc::ServerWriteReactor<grpc::ByteBuffer>* StorageService::ServeServerStream(
    grpc::CallbackServerContext* context, absl::string_view method,
    const grpc::ByteBuffer* request_bytes, size_t max_queued_bytes, Work work) {
  auto* reactor = new QueuedWriteReactor(max_queued_bytes);
  executor_.Schedule([=] {
    grpc::Status status;
    {
      ServiceCall call(*context, method, observer_, shutdown_);
      Request request;
      absl::Status result = Parse(*request_bytes, request);
      if (result.ok()) call.record().key = std::string(KeyOf(request));
      if (result.ok()) result = call.AdmitTenant(options_.tenants);
      if (result.ok()) result = work(call, request, *reactor);
      status = call.Finish(std::move(result));
    }
    reactor->FinishAfterWrites(std::move(status));
  });
  return reactor;
}

template <typename Request, typename Response, typename Work>
grpc::ServerReadReactor<grpc::ByteBuffer>* StorageService::ServeClientStream(
    grpc::CallbackServerContext* context, absl::string_view method,
    grpc::ByteBuffer* response_bytes, size_t read_ahead_bytes, Work work) {
  auto* reactor = new QueuedReadReactor(read_ahead_bytes);
  executor_.Schedule([=] {
    grpc::Status status;
    {
      ServiceCall call(*context, method, observer_, shutdown_);
      Response response;
      ReactorReader<Request> reader(*reactor);
      absl::Status result = call.AdmitTenant(options_.tenants);
      if (result.ok()) result = work(call, reader, response);
      if (reader.malformed()) {
        result = absl::InvalidArgumentError(absl::StrCat("a message is not a valid ",
                                                         Request::descriptor()->full_name(),
                                                         "; nothing was stored"));
      }
      if (result.ok()) result = Serialize(response, *response_bytes);
      status = call.Finish(std::move(result));
    }
    reactor->FinishNow(std::move(status));
  });
  return reactor;
}

grpc::ServerReadReactor<grpc::ByteBuffer>* StorageService::Upload(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  return ServeClientStream<v1::UploadRequest, v1::UploadResponse>(
      context, "Upload", response, kUploadReadAheadBytes,
      [this](ServiceCall& call, grpc::ServerReaderInterface<v1::UploadRequest>& reader,
             v1::UploadResponse& response) { return StoreObject(call, reader, response); });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* StorageService::Download(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  // Two chunks may wait while a third is read from the upstream and hashed.
  return ServeServerStream<v1::DownloadRequest>(
      context, "Download", request, 2 * options_.download_chunk_bytes,
      [this](ServiceCall& call, const v1::DownloadRequest& request, SerializedWriter& writer) {
        return SendObject(call, request, writer);
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* StorageService::List(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return ServeServerStream<v1::ListRequest>(
      context, "List", request, kQueuedListBytes,
      [this](ServiceCall& call, const v1::ListRequest& request, SerializedWriter& serialized) {
        ReactorWriter<v1::ListResponse> writer(serialized);
        return SendListing(call, request, writer);
      });
}

grpc::ServerUnaryReactor* StorageService::Delete(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  return ServeUnary<v1::DeleteRequest, v1::DeleteResponse>(
      context, "Delete", Scope::kObject, request, response,
      [this](ServiceCall& call, const v1::DeleteRequest& request, v1::DeleteResponse&) {
        return DeleteObject(call, request);
      });
}

grpc::ServerUnaryReactor* StorageService::Stat(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) {
  return ServeUnary<v1::StatRequest, v1::ObjectInfo>(
      context, "Stat", Scope::kObject, request, response,
      [this](ServiceCall& call, const v1::StatRequest& request, v1::ObjectInfo& response) {
        return DescribeObject(call, request, response);
      });
}

grpc::ServerUnaryReactor* StorageService::Copy(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) {
  return ServeUnary<v1::CopyRequest, v1::CopyResponse>(
      context, "Copy", Scope::kObject, request, response,
      [this](ServiceCall& call, const v1::CopyRequest& request, v1::CopyResponse& response) {
        return CopyObject(call, request, response);
      });
}

grpc::ServerUnaryReactor* StorageService::StartResumableUpload(grpc::CallbackServerContext* context,
                                                               const grpc::ByteBuffer* request,
                                                               grpc::ByteBuffer* response) {
  return ServeUnary<v1::StartResumableUploadRequest, v1::StartResumableUploadResponse>(
      context, "StartResumableUpload", Scope::kObject, request, response,
      [this](ServiceCall& call, const v1::StartResumableUploadRequest& request,
             v1::StartResumableUploadResponse& response) {
        return StartUpload(call, request, response);
      });
}

grpc::ServerUnaryReactor* StorageService::QueryUploadStatus(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return ServeUnary<v1::QueryUploadStatusRequest, v1::QueryUploadStatusResponse>(
      context, "QueryUploadStatus", Scope::kObject, request, response,
      [this](ServiceCall& call, const v1::QueryUploadStatusRequest& request,
             v1::QueryUploadStatusResponse& response) {
        return QueryUpload(call, request, response);
      });
}

grpc::ServerUnaryReactor* StorageService::CancelResumableUpload(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return ServeUnary<v1::CancelResumableUploadRequest, v1::CancelResumableUploadResponse>(
      context, "CancelResumableUpload", Scope::kObject, request, response,
      [this](ServiceCall& call, const v1::CancelResumableUploadRequest& request,
             v1::CancelResumableUploadResponse&) { return CancelUpload(call, request); });
}

grpc::ServerUnaryReactor* StorageService::GetServerInfo(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return ServeUnary<v1::GetServerInfoRequest, v1::ServerInfo>(
      context, "GetServerInfo", Scope::kServer, request, response,
      [this](ServiceCall& call, const v1::GetServerInfoRequest&, v1::ServerInfo& response) {
        return DescribeServer(call, response);
      });
}

grpc::ServerUnaryReactor* StorageService::Health(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  return ServeUnary<v1::HealthRequest, v1::HealthResponse>(
      context, "Health", Scope::kServer, request, response,
      [this](ServiceCall& call, const v1::HealthRequest&, v1::HealthResponse& response) {
        return CheckUpstream(call, response);
      });
}

absl::Status StorageService::StoreObject(ServiceCall& call,
                                         grpc::ServerReaderInterface<v1::UploadRequest>& reader,
                                         v1::UploadResponse& response) {
  v1::UploadRequest first;
  if (!reader.Read(&first)) {
    return call.caller_cancelled()
               ? absl::CancelledError("caller cancelled the upload")
               : absl::InvalidArgumentError("upload stream ended before its spec message");
  }
  if (first.has_upload_id()) return ContinueUpload(call, first, reader, response);
  if (!first.has_spec()) {
    return absl::InvalidArgumentError(
        "the first upload message must carry spec or upload_id, not data");
  }
  absl::StatusOr<UploadSpec> spec = ValidateUploadSpec(first.spec());
  if (!spec.ok()) return spec.status();
  call.record().key = spec->key;

  // A store that hashes what it stores saves the gateway hashing it again, and its
  // SHA-256 covers the hop to the store as well.
  const bool store_hashes = upstream_.HashesUploads(call.context());
  UploadStream body(reader, call.context().is_cancelled, spec->size,
                    store_hashes ? "" : spec->sha256, UploadStream::Unfinished::kError,
                    store_hashes ? UploadStream::Hashing::kNone : UploadStream::Hashing::kSha256);
  absl::Status status = body.Prime();
  absl::StatusOr<StoredObject> stored =
      status.ok() ? upstream_.Upload(call.context(), *spec, body) : status;
  call.record().bytes_received = body.bytes_received();
  if (!stored.ok()) return stored.status();
  if (store_hashes && stored->sha256.empty()) {
    return absl::InternalError(
        absl::StrCat("the upstream store declares upload_checksums but "
                     "reported no SHA-256 for the upload of \"",
                     spec->key, "\""));
  }
  response.set_key(stored->key);
  response.set_size(body.bytes_received());
  response.set_sha256(store_hashes ? stored->sha256 : body.sha256());
  response.set_crc32c(body.crc32c());
  response.set_etag(stored->etag);
  return absl::OkStatus();
}

absl::Status StorageService::ContinueUpload(ServiceCall& call, const v1::UploadRequest& first,
                                            grpc::ServerReaderInterface<v1::UploadRequest>& reader,
                                            v1::UploadResponse& response) {
  absl::StatusOr<ResumableUpload> upload = DecodeResumableUpload(first.upload_id());
  if (!upload.ok()) return upload.status();
  if (first.write_offset() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("write_offset must be >= 0, got ", first.write_offset()));
  }
  call.record().key = upload->key;
  // A stream the caller closes without finish_write pauses the upload: it is not an error.
  // Its parts are checked on their way to the store and the whole at completion, so the
  // stream's own SHA-256 would serve nothing.
  UploadStream body(reader, call.context().is_cancelled, std::nullopt, "",
                    UploadStream::Unfinished::kPause, UploadStream::Hashing::kNone);
  if (first.finish_write()) body.FinishedWithFirstMessage();
  absl::StatusOr<ResumableUploadStatus> status =
      ContinueResumableUpload(upstream_, call.context(), *upload, first.write_offset(), body,
                              [&body] { return body.finished(); });
  call.record().bytes_received = body.bytes_received();
  if (!status.ok()) return status.status();
  response.set_key(upload->key);
  response.set_persisted_size(status->persisted_size);
  response.set_complete(status->complete);
  if (body.ended()) response.set_crc32c(body.crc32c());
  if (status->complete) {
    response.set_size(status->object.size);
    response.set_etag(status->object.etag);
    response.set_sha256(status->object.sha256);
  }
  return absl::OkStatus();
}

absl::Status StorageService::StartUpload(ServiceCall& call,
                                         const v1::StartResumableUploadRequest& request,
                                         v1::StartResumableUploadResponse& response) {
  absl::StatusOr<UploadSpec> spec = ValidateUploadSpec(request.spec());
  if (!spec.ok()) return spec.status();
  absl::StatusOr<ResumableUpload> upload = objgate::StartResumableUpload(
      upstream_, call.context(), *spec, options_.resumable_part_bytes);
  if (!upload.ok()) return upload.status();
  response.set_upload_id(EncodeResumableUpload(*upload));
  response.set_part_bytes(upload->part_bytes);
  return absl::OkStatus();
}

absl::Status StorageService::QueryUpload(ServiceCall& call,
                                         const v1::QueryUploadStatusRequest& request,
                                         v1::QueryUploadStatusResponse& response) {
  absl::StatusOr<ResumableUpload> upload = DecodeResumableUpload(request.upload_id());
  if (!upload.ok()) return upload.status();
  call.record().key = upload->key;
  absl::StatusOr<ResumableUploadStatus> status =
      QueryResumableUpload(upstream_, call.context(), *upload);
  if (!status.ok()) return status.status();
  response.set_persisted_size(status->persisted_size);
  response.set_complete(status->complete);
  response.set_key(upload->key);
  return absl::OkStatus();
}

absl::Status StorageService::CancelUpload(ServiceCall& call,
                                          const v1::CancelResumableUploadRequest& request) {
  absl::StatusOr<ResumableUpload> upload = DecodeResumableUpload(request.upload_id());
  if (!upload.ok()) return upload.status();
  call.record().key = upload->key;
  return upstream_.AbortMultipartUpload(call.context(), upload->key, upload->store_upload_id);
}

absl::Status StorageService::SendObject(ServiceCall& call, const v1::DownloadRequest& request,
                                        SerializedWriter& writer) {
  absl::StatusOr<DownloadSpec> spec = ValidateDownloadRequest(request);
  if (!spec.ok()) return spec.status();
  DownloadStream stream(writer, spec->key, options_.download_chunk_bytes,
                        options_.download_checksums);
  absl::Status status = upstream_.Download(call.context(), *spec, stream);
  if (status.ok()) status = stream.Finish();
  call.record().bytes_sent = stream.bytes_sent();
  return status;
}

absl::Status StorageService::SendListing(ServiceCall& call, const v1::ListRequest& request,
                                         grpc::ServerWriterInterface<v1::ListResponse>& writer) {
  absl::StatusOr<ListPlan> plan = ValidateListRequest(request);
  if (!plan.ok()) return plan.status();

  ListQuery query = plan->first_query;
  std::optional<int64_t> remaining = plan->limit;
  v1::ListResponse page;
  bool sent_any_page = false;
  auto items_in_page = [&] { return page.entries_size() + page.prefixes_size(); };
  auto flush = [&]() -> absl::Status {
    if (!writer.Write(page)) return absl::CancelledError("the caller stopped reading the list");
    sent_any_page = true;
    page.clear_entries();
    page.clear_prefixes();
    return absl::OkStatus();
  };

  while (true) {
    query.max_keys = static_cast<int>(remaining ? std::min<int64_t>(*remaining, plan->page_size)
                                                : plan->page_size);
    absl::StatusOr<ListPage> upstream_page = upstream_.List(call.context(), query);
    if (!upstream_page.ok()) return upstream_page.status();
    // Entries and common prefixes go out merged in key order, counted together.
    std::vector<ObjectEntry>& entries = upstream_page->entries;
    std::vector<std::string>& prefixes = upstream_page->common_prefixes;
    size_t next_entry = 0, next_prefix = 0;
    while (next_entry < entries.size() || next_prefix < prefixes.size()) {
      if (next_prefix < prefixes.size() &&
          (next_entry == entries.size() || prefixes[next_prefix] < entries[next_entry].key)) {
        page.add_prefixes(std::move(prefixes[next_prefix++]));
      } else {
        ObjectEntry& entry = entries[next_entry++];
        v1::ObjectEntry* out = page.add_entries();
        out->set_key(std::move(entry.key));
        out->set_size(entry.size);
        SetTimestamp(entry.last_modified, *out->mutable_last_modified());
        out->set_etag(std::move(entry.etag));
        out->set_content_type(std::move(entry.content_type));
      }
      if (remaining && --*remaining == 0) return flush();
      if (items_in_page() == plan->page_size) {
        if (absl::Status sent = flush(); !sent.ok()) return sent;
      }
    }
    if (!upstream_page->is_truncated) break;
    const bool moved = upstream_page->next_start_after > query.start_after ||
                       (!upstream_page->next_continuation.empty() &&
                        upstream_page->next_continuation != query.continuation);
    if (!moved) return absl::InternalError("upstream list pagination does not move forward");
    query.start_after = std::move(upstream_page->next_start_after);
    query.continuation = std::move(upstream_page->next_continuation);
  }
  if (items_in_page() > 0 || !sent_any_page) return flush();
  return absl::OkStatus();
}

absl::Status StorageService::DeleteObject(ServiceCall& call, const v1::DeleteRequest& request) {
  absl::StatusOr<DeleteSpec> spec = ValidateDeleteRequest(request);
  if (!spec.ok()) return spec.status();
  return upstream_.Delete(call.context(), *spec);
}

absl::Status StorageService::CopyObject(ServiceCall& call, const v1::CopyRequest& request,
                                        v1::CopyResponse& response) {
  absl::StatusOr<CopySpec> spec = ValidateCopyRequest(request);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<StoredObject> stored = upstream_.Copy(call.context(), *spec);
  if (!stored.ok()) return stored.status();
  response.set_key(spec->destination_key);
  response.set_size(stored->size);
  response.set_etag(stored->etag);
  response.set_sha256(stored->sha256);
  return absl::OkStatus();
}

absl::Status StorageService::DescribeObject(ServiceCall& call, const v1::StatRequest& request,
                                            v1::ObjectInfo& response) {
  if (absl::Status valid = ValidateStatRequest(request); !valid.ok()) return valid;
  absl::StatusOr<DownloadHead> head = ReadHead(upstream_, call.context(), request.key());
  if (!head.ok()) return head.status();
  response.set_key(request.key());
  response.set_size(head->object_size);
  response.set_etag(head->etag);
  response.set_content_type(head->content_type);
  if (head->last_modified) SetTimestamp(*head->last_modified, *response.mutable_last_modified());
  response.set_sha256(head->object_sha256);
  response.mutable_metadata()->insert(head->metadata.begin(), head->metadata.end());
  return absl::OkStatus();
}

absl::Status StorageService::DescribeServer(ServiceCall& call, v1::ServerInfo& response) {
  absl::StatusOr<UpstreamServerInfo> info = upstream_.GetServerInfo(call.context());
  if (!info.ok()) return info.status();
  response.set_dialect(info->dialect);
  for (const std::string& capability : info->capabilities) response.add_capabilities(capability);
  response.set_status(info->status);
  response.set_version(info->version);
  response.set_performance(info->performance);
  response.set_gateway_version(options_.gateway_version);
  return absl::OkStatus();
}

absl::Status StorageService::CheckUpstream(ServiceCall& call, v1::HealthResponse& response) {
  CallContext& context = call.context();
  context.deadline = std::min(context.deadline, absl::Now() + options_.health_probe_timeout);
  absl::Status live = upstream_.CheckLive(context);
  absl::Status ready = live.ok() ? upstream_.CheckReady(context) : live;
  response.set_live(live.ok());
  response.set_ready(ready.ok());
  if (!ready.ok()) response.set_detail(std::string(ready.message()));
  return absl::OkStatus();
}

}  // namespace objgate
