#include "server/service/storage_service.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/common/validation.h"
#include "server/service/download_stream.h"
#include "server/service/request_validation.h"
#include "server/service/upload_stream.h"

namespace objgate {
namespace {

namespace v1 = ::storage::v1;

constexpr absl::string_view kTenantMetadata = "x-tenant-id";
constexpr absl::string_view kRequestIdMetadata = "x-request-id";
constexpr absl::string_view kAuthorizationMetadata = "authorization";
// Upload messages read ahead of the upstream request; the sync server read one at a time.
constexpr size_t kUploadReadAheadBytes = 1 << 20;

grpc::Status ToGrpcStatus(const absl::Status& status) {
  // absl::StatusCode mirrors grpc::StatusCode value for value.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

std::optional<std::string> Metadata(const grpc::ServerContextBase& context,
                                    absl::string_view name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(name.data(), name.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

std::string NewRequestId() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* bitgen = new absl::BitGen();
  uint64_t high, low;
  {
    absl::MutexLock lock(&mu);
    high = absl::Uniform<uint64_t>(*bitgen);
    low = absl::Uniform<uint64_t>(*bitgen);
  }
  return absl::StrCat(absl::Hex(high, absl::kZeroPad16), absl::Hex(low, absl::kZeroPad16));
}

// Times a call and tells the observer when it starts and when it ends, however it ends.
class CallScope {
 public:
  CallScope(CallObserver& observer, absl::string_view method)
      : observer_(observer), start_(absl::Now()) {
    record_.method = std::string(method);
    observer_.OnCallStart(method);
  }
  ~CallScope() {
    record_.duration = absl::Now() - start_;
    record_.retries = stats_.retries;
    record_.resumes = stats_.resumes;
    observer_.OnCallEnd(record_);
  }
  AccessRecord& record() { return record_; }
  CallStats& stats() { return stats_; }

  grpc::Status Finish(absl::Status status) {
    record_.status = status;
    return ToGrpcStatus(status);
  }

 private:
  CallObserver& observer_;
  const absl::Time start_;
  AccessRecord record_;
  CallStats stats_;
};

}  // namespace

// Everything a call carries to the upstream, from the RPC's context. The caller's request
// id is kept when it sent a sane one, so that its logs, ours and the upstream's line up.
CallContext StorageService::ContextOf(grpc::ServerContextBase& context, CallStats& stats) const {
  CallContext call;
  const auto deadline = context.deadline();
  call.deadline = deadline == std::chrono::system_clock::time_point::max()
                      ? absl::InfiniteFuture()
                      : absl::FromChrono(deadline);
  call.is_cancelled = [&context, this] {
    return context.IsCancelled() || PastShutdownCutoff();
  };
  std::optional<std::string> request_id = Metadata(context, kRequestIdMetadata);
  call.request_id = request_id && ValidateTenantId(*request_id).ok() ? *request_id
                                                                     : NewRequestId();
  call.stats = &stats;
  return call;
}

absl::StatusOr<TenantLimiter::Permit> StorageService::AdmitObjectCall(
    const grpc::ServerContextBase& context, CallContext& call) {
  std::optional<std::string> claimed = Metadata(context, kTenantMetadata);
  if (claimed) {
    if (absl::Status valid = ValidateTenantId(*claimed); !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("x-tenant-id: ", valid.message()));
    }
  }
  if (options_.authenticator != nullptr) {
    std::optional<std::string> authorization = Metadata(context, kAuthorizationMetadata);
    absl::StatusOr<std::string> tenant = options_.authenticator->Authenticate(
        authorization ? std::optional<absl::string_view>(*authorization) : std::nullopt,
        claimed.value_or(""));
    if (!tenant.ok()) return tenant.status();
    call.tenant_id = *std::move(tenant);
  } else if (claimed) {
    call.tenant_id = *std::move(claimed);
  } else {
    return absl::UnauthenticatedError("missing x-tenant-id metadata: object calls need a tenant");
  }
  if (options_.limiter == nullptr) return TenantLimiter::Permit::None();
  return options_.limiter->Admit(call.tenant_id);
}

void StorageService::BeginShutdown(absl::Time cutoff) {
  shutdown_cutoff_unix_nanos_.store(absl::ToUnixNanos(cutoff), std::memory_order_relaxed);
}

bool StorageService::PastShutdownCutoff() const {
  return absl::ToUnixNanos(absl::Now()) >=
         shutdown_cutoff_unix_nanos_.load(std::memory_order_relaxed);
}

absl::Status StorageService::Outcome(absl::Status status) const {
  if (absl::IsCancelled(status) && PastShutdownCutoff()) {
    return absl::UnavailableError("the gateway is shutting down; retry the call");
  }
  return status;
}

StorageService::StorageService(Upstream& upstream, CallObserver& observer,
                               StorageServiceOptions options)
    : upstream_(upstream), observer_(observer), options_(std::move(options)) {}

grpc::ServerReadReactor<grpc::ByteBuffer>* StorageService::Upload(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  auto* reactor = new QueuedReadReactor(kUploadReadAheadBytes);
  executor_.Schedule([this, context, reactor, response] {
    v1::UploadResponse result;
    grpc::Status status = RunUpload(*context, *reactor, result);
    bool own_buffer = false;
    if (status.ok()) {
      status = grpc::SerializationTraits<v1::UploadResponse>::Serialize(result, response,
                                                                       &own_buffer);
    }
    reactor->FinishNow(std::move(status));
  });
  return reactor;
}

grpc::Status StorageService::RunUpload(grpc::CallbackServerContext& context,
                                       QueuedReadReactor& reactor,
                                       v1::UploadResponse& response) {
  CallScope scope(observer_, "Upload");
  CallContext call = ContextOf(context, scope.stats());
  scope.record().request_id = call.request_id;
  ReactorReader<v1::UploadRequest> reader(reactor);
  absl::Status status = DoUpload(context, call, reader, response, scope.record());
  if (reader.malformed()) {
    status = absl::InvalidArgumentError(
        "an upload message is not a valid storage.v1.UploadRequest; nothing was stored");
  }
  return scope.Finish(Outcome(status));
}

absl::Status StorageService::DoUpload(grpc::ServerContextBase& context, CallContext& call,
                                      grpc::ServerReaderInterface<v1::UploadRequest>& reader,
                                      v1::UploadResponse& response, AccessRecord& record) {
  absl::StatusOr<TenantLimiter::Permit> permit = AdmitObjectCall(context, call);
  record.tenant_id = call.tenant_id;
  if (!permit.ok()) return permit.status();
  v1::UploadRequest first;
  if (!reader.Read(&first)) {
    return context.IsCancelled()
               ? absl::CancelledError("caller cancelled the upload")
               : absl::InvalidArgumentError("upload stream ended before its spec message");
  }
  if (!first.has_spec()) {
    return absl::InvalidArgumentError("the first upload message must carry spec, not data");
  }
  absl::StatusOr<UploadSpec> spec = ValidateUploadSpec(first.spec());
  if (!spec.ok()) return spec.status();
  record.key = spec->key;

  UploadStream body(reader, call.is_cancelled, spec->size, spec->sha256);
  if (absl::Status primed = body.Prime(); !primed.ok()) return primed;
  absl::StatusOr<UploadResult> result = upstream_.Upload(call, *spec, body);
  record.bytes_received = body.bytes_received();
  if (!result.ok()) return result.status();
  response.set_key(result->key);
  response.set_size(body.bytes_received());
  response.set_sha256(body.sha256());
  response.set_etag(result->etag);
  return absl::OkStatus();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* StorageService::Download(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  // Two chunks may wait while a third is read from the upstream and hashed.
  auto* reactor = new QueuedWriteReactor(2 * options_.download_chunk_bytes);
  executor_.Schedule([this, context, reactor, request] {
    reactor->FinishAfterWrites(RunDownload(*context, *request, *reactor));
  });
  return reactor;
}

grpc::Status StorageService::RunDownload(grpc::CallbackServerContext& context,
                                         const grpc::ByteBuffer& request_bytes,
                                         QueuedWriteReactor& reactor) {
  CallScope scope(observer_, "Download");
  CallContext call = ContextOf(context, scope.stats());
  scope.record().request_id = call.request_id;
  v1::DownloadRequest request;
  grpc::ByteBuffer copy = request_bytes;  // Deserialize consumes its buffer
  if (!grpc::SerializationTraits<v1::DownloadRequest>::Deserialize(&copy, &request).ok()) {
    return scope.Finish(
        absl::InvalidArgumentError("the request is not a valid storage.v1.DownloadRequest"));
  }
  scope.record().key = request.key();
  absl::StatusOr<TenantLimiter::Permit> permit = AdmitObjectCall(context, call);
  scope.record().tenant_id = call.tenant_id;
  if (!permit.ok()) return scope.Finish(permit.status());
  ReactorWriter<v1::DownloadResponse> writer(reactor);
  return scope.Finish(Outcome(DoDownload(call, request, writer, scope.record())));
}

absl::Status StorageService::DoDownload(CallContext& call, const v1::DownloadRequest& request,
                                        grpc::ServerWriterInterface<v1::DownloadResponse>& writer,
                                        AccessRecord& record) {
  absl::StatusOr<DownloadSpec> spec = ValidateDownloadRequest(request);
  if (!spec.ok()) return spec.status();
  DownloadStream stream(writer, spec->key, options_.download_chunk_bytes,
                        options_.download_checksums);
  absl::Status status = upstream_.Download(call, *spec, stream);
  if (status.ok()) status = stream.Finish();
  record.bytes_sent = stream.bytes_sent();
  return status;
}

grpc::Status StorageService::List(grpc::ServerContext* context, const v1::ListRequest* request,
                                  grpc::ServerWriter<v1::ListResponse>* writer) {
  CallScope scope(observer_, "List");
  CallContext call = ContextOf(*context, scope.stats());
  scope.record().request_id = call.request_id;
  scope.record().key = request->prefix();
  absl::StatusOr<TenantLimiter::Permit> permit = AdmitObjectCall(*context, call);
  scope.record().tenant_id = call.tenant_id;
  if (!permit.ok()) return scope.Finish(permit.status());
  return scope.Finish(Outcome(DoList(call, *request, *writer)));
}

absl::Status StorageService::DoList(CallContext& call, const v1::ListRequest& request,
                                    grpc::ServerWriter<v1::ListResponse>& writer) {
  absl::StatusOr<ListPlan> plan = ValidateListRequest(request);
  if (!plan.ok()) return plan.status();

  ListQuery query = plan->first_query;
  std::optional<int64_t> remaining = plan->limit;
  v1::ListResponse page;
  bool sent_any_page = false;
  auto flush = [&]() -> absl::Status {
    if (!writer.Write(page)) return absl::CancelledError("the caller stopped reading the list");
    sent_any_page = true;
    page.clear_entries();
    return absl::OkStatus();
  };

  while (true) {
    if (remaining) query.max_keys = static_cast<int>(std::min<int64_t>(*remaining, plan->page_size));
    absl::StatusOr<ListPage> upstream_page = upstream_.List(call, query);
    if (!upstream_page.ok()) return upstream_page.status();
    for (ObjectEntry& entry : upstream_page->entries) {
      // An upstream without pagination may answer keys the caller has seen, or that do not
      // match; the API promises neither.
      if (entry.key <= query.start_after || entry.key.compare(0, query.prefix.size(),
                                                              query.prefix) != 0) {
        continue;
      }
      v1::ObjectEntry* out = page.add_entries();
      out->set_key(std::move(entry.key));
      out->set_size(entry.size);
      out->mutable_last_modified()->set_seconds(absl::ToUnixSeconds(entry.last_modified));
      out->mutable_last_modified()->set_nanos(static_cast<int32_t>(
          (entry.last_modified - absl::FromUnixSeconds(absl::ToUnixSeconds(entry.last_modified))) /
          absl::Nanoseconds(1)));
      out->set_etag(std::move(entry.etag));
      out->set_content_type(std::move(entry.content_type));
      if (remaining && --*remaining == 0) return flush();
      if (page.entries_size() == plan->page_size) {
        if (absl::Status sent = flush(); !sent.ok()) return sent;
      }
    }
    if (!upstream_page->is_truncated) break;
    if (upstream_page->next_start_after <= query.start_after) {
      return absl::InternalError("upstream list pagination does not move forward");
    }
    query.start_after = upstream_page->next_start_after;
  }
  if (page.entries_size() > 0 || !sent_any_page) return flush();
  return absl::OkStatus();
}

grpc::Status StorageService::Delete(grpc::ServerContext* context,
                                    const v1::DeleteRequest* request,
                                    v1::DeleteResponse* /*response*/) {
  CallScope scope(observer_, "Delete");
  CallContext call = ContextOf(*context, scope.stats());
  scope.record().request_id = call.request_id;
  scope.record().key = request->key();
  absl::StatusOr<TenantLimiter::Permit> permit = AdmitObjectCall(*context, call);
  scope.record().tenant_id = call.tenant_id;
  absl::Status status = permit.status();
  if (status.ok()) status = ValidateDeleteRequest(*request);
  if (status.ok()) status = upstream_.Delete(call, request->key());
  return scope.Finish(Outcome(status));
}

grpc::Status StorageService::GetServerInfo(grpc::ServerContext* context,
                                           const v1::GetServerInfoRequest* /*request*/,
                                           v1::ServerInfo* response) {
  CallScope scope(observer_, "GetServerInfo");
  CallContext call = ContextOf(*context, scope.stats());
  scope.record().request_id = call.request_id;
  absl::StatusOr<UpstreamServerInfo> info = upstream_.GetServerInfo(call);
  if (info.ok()) {
    response->set_status(info->status);
    response->set_version(info->version);
    response->set_performance(info->performance);
    response->set_gateway_version(options_.gateway_version);
  }
  return scope.Finish(Outcome(info.status()));
}

grpc::Status StorageService::Health(grpc::ServerContext* context,
                                    const v1::HealthRequest* /*request*/,
                                    v1::HealthResponse* response) {
  CallScope scope(observer_, "Health");
  CallContext call = ContextOf(*context, scope.stats());
  scope.record().request_id = call.request_id;
  call.deadline = std::min(call.deadline, absl::Now() + options_.health_probe_timeout);
  absl::Status live = upstream_.CheckLive(call);
  absl::Status ready = live.ok() ? upstream_.CheckReady(call) : live;
  response->set_live(live.ok());
  response->set_ready(ready.ok());
  if (!ready.ok()) response->set_detail(std::string(ready.message()));
  return scope.Finish(absl::OkStatus());
}

}  // namespace objgate
