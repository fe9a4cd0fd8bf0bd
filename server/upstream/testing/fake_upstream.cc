#include "server/upstream/testing/fake_upstream.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "server/upstream/delimiter_grouping.h"

namespace objgate {
namespace {

std::string Quoted(absl::string_view key) { return absl::StrCat("\"", key, "\""); }

}  // namespace

void FakeUpstream::Put(absl::string_view tenant_id, absl::string_view key, std::string data,
                       std::string content_type) {
  Object object;
  object.declared_sha256 = Sha256::Hex(data);
  object.etag = object.declared_sha256.substr(0, 16);
  object.data = std::move(data);
  object.content_type = std::move(content_type);
  object.last_modified = absl::Now();
  PutObject(tenant_id, key, std::move(object));
}

void FakeUpstream::PutObject(absl::string_view tenant_id, absl::string_view key, Object object) {
  absl::MutexLock lock(&mu_);
  tenants_[tenant_id][std::string(key)] = std::move(object);
}

std::optional<FakeUpstream::Object> FakeUpstream::Get(absl::string_view tenant_id,
                                                      absl::string_view key) const {
  absl::MutexLock lock(&mu_);
  auto tenant = tenants_.find(tenant_id);
  if (tenant == tenants_.end()) return std::nullopt;
  auto object = tenant->second.find(std::string(key));
  if (object == tenant->second.end()) return std::nullopt;
  return object->second;
}

std::vector<std::string> FakeUpstream::Keys(absl::string_view tenant_id) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> keys;
  auto tenant = tenants_.find(tenant_id);
  if (tenant == tenants_.end()) return keys;
  for (const auto& [key, object] : tenant->second) keys.push_back(key);
  return keys;
}

void FakeUpstream::FailNext(Op op, Fault fault) {
  absl::MutexLock lock(&mu_);
  faults_[op].push_back(std::move(fault));
}

void FakeUpstream::SetBeforeCall(std::function<void(Op, const CallContext&)> hook) {
  absl::MutexLock lock(&mu_);
  before_call_ = std::move(hook);
}

void FakeUpstream::set_etags(bool etags) {
  absl::MutexLock lock(&mu_);
  etags_ = etags;
}

void FakeUpstream::set_declares_sha256(bool declares) {
  absl::MutexLock lock(&mu_);
  declares_sha256_ = declares;
}

void FakeUpstream::set_server_info(absl::StatusOr<UpstreamServerInfo> info) {
  absl::MutexLock lock(&mu_);
  server_info_ = std::move(info);
}

void FakeUpstream::set_live(absl::Status live) {
  absl::MutexLock lock(&mu_);
  live_ = std::move(live);
}

void FakeUpstream::set_ready(absl::Status ready) {
  absl::MutexLock lock(&mu_);
  ready_ = std::move(ready);
}

void FakeUpstream::set_download_piece_bytes(size_t bytes) {
  absl::MutexLock lock(&mu_);
  download_piece_bytes_ = std::max<size_t>(bytes, 1);
}

std::vector<FakeUpstream::Call> FakeUpstream::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

int FakeUpstream::CallCount(Op op) const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(std::count_if(calls_.begin(), calls_.end(),
                                        [op](const Call& call) { return call.op == op; }));
}

int64_t FakeUpstream::bytes_read() const {
  absl::MutexLock lock(&mu_);
  return bytes_read_;
}

int64_t FakeUpstream::bytes_delivered() const {
  absl::MutexLock lock(&mu_);
  return bytes_delivered_;
}

void FakeUpstream::WaitUntilIdle() const {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](const int* running) { return *running == 0; }, &running_));
}

std::vector<absl::Status> FakeUpstream::outcomes() const {
  absl::MutexLock lock(&mu_);
  return outcomes_;
}

std::optional<FakeUpstream::Fault> FakeUpstream::Begin(Call call, const CallContext& context) {
  std::optional<Fault> fault;
  std::function<void(Op, const CallContext&)> hook;
  const Op op = call.op;
  {
    absl::MutexLock lock(&mu_);
    call.tenant_id = context.tenant_id;
    call.request_id = context.request_id;
    calls_.push_back(std::move(call));
    ++running_;
    auto queued = faults_.find(op);
    if (queued != faults_.end() && !queued->second.empty()) {
      fault = std::move(queued->second.front());
      queued->second.pop_front();
    }
    hook = before_call_;
  }
  if (hook) hook(op, context);
  return fault;
}

template <typename T>
T FakeUpstream::End(T result) {
  absl::MutexLock lock(&mu_);
  if constexpr (std::is_same_v<T, absl::Status>) {
    outcomes_.push_back(result);
  } else {
    outcomes_.push_back(result.status());
  }
  --running_;
  return result;
}

absl::StatusOr<UpstreamServerInfo> FakeUpstream::GetServerInfo(const CallContext& context) {
  std::optional<Fault> fault = Begin({Op::kGetServerInfo}, context);
  if (fault) return End<absl::StatusOr<UpstreamServerInfo>>(fault->status);
  absl::StatusOr<UpstreamServerInfo> info;
  {
    absl::MutexLock lock(&mu_);
    info = server_info_;
  }
  return End(std::move(info));
}

absl::StatusOr<StoredObject> FakeUpstream::Upload(const CallContext& context,
                                                  const UploadSpec& spec, ByteSource& body) {
  Call call{Op::kUpload};
  call.key = spec.key;
  call.upload = spec;
  std::optional<Fault> fault = Begin(std::move(call), context);
  using Result = absl::StatusOr<StoredObject>;
  std::string data;
  char buffer[16 * 1024];
  while (true) {
    if (fault && !fault->after_success && static_cast<int64_t>(data.size()) >= fault->after_bytes) {
      return End<Result>(fault->status);
    }
    size_t want = sizeof(buffer);
    if (fault && !fault->after_success) {
      want = std::min<size_t>(want, static_cast<size_t>(fault->after_bytes) - data.size());
    }
    absl::StatusOr<size_t> n = body.Read(absl::MakeSpan(buffer, want));
    if (!n.ok()) return End<Result>(n.status());
    if (*n == 0) break;
    data.append(buffer, *n);
    absl::MutexLock lock(&mu_);
    bytes_read_ += static_cast<int64_t>(*n);
  }
  if (spec.size && *spec.size != static_cast<int64_t>(data.size())) {
    return End<Result>(absl::InvalidArgumentError(absl::StrCat(
        "upload of ", Quoted(spec.key), ": ", data.size(), " bytes, ", *spec.size, " declared")));
  }
  const std::string sha256 = Sha256::Hex(data);
  if (!spec.sha256.empty() && spec.sha256 != sha256) {
    return End<Result>(absl::InvalidArgumentError(
        absl::StrCat("upload of ", Quoted(spec.key), ": the body does not match its SHA-256")));
  }
  StoredObject stored{spec.key, static_cast<int64_t>(data.size()), sha256.substr(0, 16), sha256};
  Object object;
  object.data = std::move(data);
  object.etag = stored.etag;
  object.declared_sha256 = sha256;
  object.content_type = spec.content_type.empty() ? "application/octet-stream" : spec.content_type;
  object.metadata = spec.metadata;
  object.last_modified = absl::Now();
  if (absl::Status stored_if = StoreIf(context.tenant_id, spec, std::move(object));
      !stored_if.ok()) {
    return End<Result>(stored_if);
  }
  if (fault) return End<Result>(fault->status);
  bool etags;
  {
    absl::MutexLock lock(&mu_);
    etags = etags_;
  }
  if (!etags) stored.etag.clear();
  return End<Result>(std::move(stored));
}

absl::Status FakeUpstream::StoreIf(absl::string_view tenant_id, const UploadSpec& spec,
                                   Object object) {
  absl::MutexLock lock(&mu_);
  TenantObjects& objects = tenants_[tenant_id];
  auto existing = objects.find(spec.key);
  if (spec.if_none_match == "*" && existing != objects.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("upload of ", Quoted(spec.key), ": the key exists (if_none_match)"));
  }
  if (!spec.if_match.empty() &&
      (existing == objects.end() || existing->second.etag != spec.if_match)) {
    return absl::FailedPreconditionError(
        absl::StrCat("upload of ", Quoted(spec.key), ": the etag differs (if_match)"));
  }
  objects[spec.key] = std::move(object);
  return absl::OkStatus();
}

absl::Status FakeUpstream::Download(const CallContext& context, const DownloadSpec& spec,
                                    DownloadSink& sink) {
  Call call{Op::kDownload};
  call.key = spec.key;
  call.download = spec;
  std::optional<Fault> fault = Begin(std::move(call), context);
  return End(DoDownload(context, spec, sink, fault));
}

absl::Status FakeUpstream::DoDownload(const CallContext& context, const DownloadSpec& spec,
                                      DownloadSink& sink, const std::optional<Fault>& fault) {
  if (fault && fault->after_bytes == 0 && !fault->after_success) return fault->status;
  std::optional<Object> object = Get(context.tenant_id, spec.key);
  bool etags, declares_sha256;
  size_t piece_bytes;
  {
    absl::MutexLock lock(&mu_);
    etags = etags_;
    declares_sha256 = declares_sha256_;
    piece_bytes = download_piece_bytes_;
  }
  if (!object) return absl::NotFoundError(absl::StrCat("object ", Quoted(spec.key), " not found"));
  if (!spec.if_match.empty() && spec.if_match != object->etag) {
    return absl::FailedPreconditionError(
        absl::StrCat("download of ", Quoted(spec.key), ": precondition failed"));
  }
  const int64_t size = static_cast<int64_t>(object->data.size());
  if (spec.offset > 0 && spec.offset >= size) {
    return absl::OutOfRangeError(
        absl::StrCat("offset ", spec.offset, " is past the end of the ", size, "-byte object"));
  }
  DownloadHead head;
  head.object_size = size;
  head.offset = spec.offset;
  head.length = std::min(size - spec.offset, spec.length.value_or(size));
  if (etags) head.etag = object->etag;
  head.content_type = object->content_type;
  if (declares_sha256) head.object_sha256 = object->declared_sha256;
  head.last_modified = object->last_modified;
  head.metadata = object->metadata;
  if (absl::Status status = sink.OnHead(head); !status.ok()) return status;

  absl::string_view rest = absl::string_view(object->data).substr(head.offset, head.length);
  int64_t delivered = 0;
  while (!rest.empty()) {
    if (context.is_cancelled && context.is_cancelled()) {
      return absl::CancelledError("the caller went away");
    }
    size_t n = std::min(rest.size(), piece_bytes);
    if (fault && !fault->after_success) {
      if (delivered >= fault->after_bytes) return fault->status;
      n = std::min<size_t>(n, static_cast<size_t>(fault->after_bytes - delivered));
    }
    if (absl::Status status = sink.OnData(rest.substr(0, n)); !status.ok()) return status;
    rest.remove_prefix(n);
    delivered += static_cast<int64_t>(n);
    absl::MutexLock lock(&mu_);
    bytes_delivered_ += static_cast<int64_t>(n);
  }
  if (fault) return fault->status;
  return absl::OkStatus();
}

absl::StatusOr<ListPage> FakeUpstream::List(const CallContext& context, const ListQuery& query) {
  Call call{Op::kList};
  call.list = query;
  std::optional<Fault> fault = Begin(std::move(call), context);
  using Result = absl::StatusOr<ListPage>;
  if (fault) return End<Result>(fault->status);
  if (query.delimiter.empty()) return End<Result>(ListStored(context.tenant_id, query));
  return End<Result>(ListGroupedByDelimiter(query, [&](const ListQuery& keys) {
    return absl::StatusOr<ListPage>(ListStored(context.tenant_id, keys));
  }));
}

ListPage FakeUpstream::ListStored(absl::string_view tenant_id, const ListQuery& query) const {
  ListPage page;
  absl::MutexLock lock(&mu_);
  auto tenant = tenants_.find(tenant_id);
  if (tenant != tenants_.end()) {
    for (auto it = tenant->second.upper_bound(query.start_after); it != tenant->second.end();
         ++it) {
      if (!absl::StartsWith(it->first, query.prefix)) continue;
      if (static_cast<int>(page.entries.size()) == query.max_keys) {
        page.is_truncated = true;
        page.next_start_after = page.entries.back().key;
        break;
      }
      ObjectEntry entry;
      entry.key = it->first;
      entry.size = static_cast<int64_t>(it->second.data.size());
      entry.last_modified = it->second.last_modified;
      if (etags_) entry.etag = it->second.etag;
      entry.content_type = it->second.content_type;
      page.entries.push_back(std::move(entry));
    }
  }
  return page;
}

absl::Status FakeUpstream::Delete(const CallContext& context, const DeleteSpec& spec) {
  Call call{Op::kDelete};
  call.key = spec.key;
  call.del = spec;
  std::optional<Fault> fault = Begin(std::move(call), context);
  if (fault && !fault->after_success) return End(fault->status);
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    auto tenant = tenants_.find(context.tenant_id);
    auto object =
        tenant == tenants_.end() ? TenantObjects::iterator() : tenant->second.find(spec.key);
    if (tenant == tenants_.end() || object == tenant->second.end()) {
      status = absl::NotFoundError(absl::StrCat("object ", Quoted(spec.key), " not found"));
    } else if (!spec.if_match.empty() && object->second.etag != spec.if_match) {
      status = absl::FailedPreconditionError(
          absl::StrCat("delete of ", Quoted(spec.key), ": the etag differs (if_match)"));
    } else {
      tenant->second.erase(object);
    }
  }
  if (fault) status = fault->status;
  return End(status);
}

absl::StatusOr<StoredObject> FakeUpstream::Copy(const CallContext& context, const CopySpec& spec) {
  Call call{Op::kCopy};
  call.key = spec.destination_key;
  call.copy = spec;
  std::optional<Fault> fault = Begin(std::move(call), context);
  using Result = absl::StatusOr<StoredObject>;
  if (fault && !fault->after_success) return End<Result>(fault->status);
  Result stored = [&]() -> Result {
    absl::MutexLock lock(&mu_);
    TenantObjects& objects = tenants_[context.tenant_id];
    auto source = objects.find(spec.source_key);
    if (source == objects.end()) {
      return absl::NotFoundError(absl::StrCat("object ", Quoted(spec.source_key), " not found"));
    }
    if (!spec.source_if_match.empty() && source->second.etag != spec.source_if_match) {
      return absl::FailedPreconditionError(
          absl::StrCat("copy of ", Quoted(spec.source_key), ": the etag differs (if_match)"));
    }
    Object copy = source->second;
    copy.last_modified = absl::Now();
    StoredObject result{spec.destination_key, static_cast<int64_t>(copy.data.size()), copy.etag,
                        copy.declared_sha256};
    objects[spec.destination_key] = std::move(copy);
    return result;
  }();
  if (stored.ok() && fault) return End<Result>(fault->status);
  return End(std::move(stored));
}

absl::StatusOr<FakeUpstream::MultipartUpload*> FakeUpstream::FindUpload(
    const CallContext& context, const std::string& key, const std::string& upload_id) {
  auto upload = uploads_.find(upload_id);
  if (upload == uploads_.end() || upload->second.tenant_id != context.tenant_id ||
      upload->second.spec.key != key) {
    return absl::NotFoundError(
        absl::StrCat("no multipart upload ", Quoted(upload_id), " of ", Quoted(key)));
  }
  return &upload->second;
}

absl::StatusOr<std::string> FakeUpstream::CreateMultipartUpload(const CallContext& context,
                                                                const UploadSpec& spec) {
  Call call{Op::kCreateMultipartUpload};
  call.key = spec.key;
  call.upload = spec;
  std::optional<Fault> fault = Begin(std::move(call), context);
  using Result = absl::StatusOr<std::string>;
  if (fault && !fault->after_success) return End<Result>(fault->status);
  std::string upload_id;
  {
    absl::MutexLock lock(&mu_);
    upload_id = absl::StrCat("upload-", next_upload_++);
    uploads_[upload_id] = MultipartUpload{context.tenant_id, spec, {}, false, {}};
  }
  if (fault) return End<Result>(fault->status);
  return End<Result>(upload_id);
}

absl::StatusOr<UploadedPart> FakeUpstream::UploadPart(const CallContext& context,
                                                      const std::string& key,
                                                      const std::string& upload_id, int number,
                                                      absl::string_view bytes) {
  Call call{Op::kUploadPart};
  call.key = key;
  call.upload_id = upload_id;
  call.part_number = number;
  std::optional<Fault> fault = Begin(std::move(call), context);
  using Result = absl::StatusOr<UploadedPart>;
  if (fault && !fault->after_success) return End<Result>(fault->status);
  Result result = [&]() -> Result {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<MultipartUpload*> upload = FindUpload(context, key, upload_id);
    if (!upload.ok()) return upload.status();
    if ((*upload)->complete) return absl::NotFoundError("the upload is complete");
    (*upload)->parts[number] = std::string(bytes);
    bytes_read_ += static_cast<int64_t>(bytes.size());
    return UploadedPart{number, static_cast<int64_t>(bytes.size()),
                        Sha256::Hex(bytes).substr(0, 16)};
  }();
  if (result.ok() && fault) return End<Result>(fault->status);
  return End(std::move(result));
}

absl::StatusOr<MultipartUploadState> FakeUpstream::ListParts(const CallContext& context,
                                                             const std::string& key,
                                                             const std::string& upload_id) {
  Call call{Op::kListParts};
  call.key = key;
  call.upload_id = upload_id;
  std::optional<Fault> fault = Begin(std::move(call), context);
  using Result = absl::StatusOr<MultipartUploadState>;
  if (fault) return End<Result>(fault->status);
  return End([&]() -> Result {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<MultipartUpload*> upload = FindUpload(context, key, upload_id);
    if (!upload.ok()) return upload.status();
    MultipartUploadState state;
    state.complete = (*upload)->complete;
    state.object = (*upload)->object;
    for (const auto& [number, bytes] : (*upload)->parts) {
      state.parts.push_back(UploadedPart{number, static_cast<int64_t>(bytes.size()),
                                         Sha256::Hex(bytes).substr(0, 16)});
    }
    return state;
  }());
}

absl::StatusOr<StoredObject> FakeUpstream::CompleteMultipartUpload(
    const CallContext& context, const UploadSpec& spec, const std::string& upload_id,
    const std::vector<UploadedPart>& parts) {
  Call call{Op::kCompleteMultipartUpload};
  call.key = spec.key;
  call.upload = spec;
  call.upload_id = upload_id;
  std::optional<Fault> fault = Begin(std::move(call), context);
  using Result = absl::StatusOr<StoredObject>;
  if (fault && !fault->after_success) return End<Result>(fault->status);
  absl::StatusOr<MultipartUpload*> upload;
  Object object;
  UploadSpec stored_spec;
  {
    absl::MutexLock lock(&mu_);
    upload = FindUpload(context, spec.key, upload_id);
    if (upload.ok() && (*upload)->complete) upload = absl::NotFoundError("already complete");
    if (upload.ok()) {
      for (size_t i = 0; i < parts.size() && upload.ok(); ++i) {
        auto part = (*upload)->parts.find(parts[i].number);
        if (parts[i].number != static_cast<int>(i) + 1 || part == (*upload)->parts.end()) {
          upload = absl::InvalidArgumentError("the parts are not the upload's, in order");
        } else {
          object.data += part->second;
        }
      }
    }
    if (upload.ok()) stored_spec = (*upload)->spec;
  }
  if (!upload.ok()) return End<Result>(upload.status());
  const std::string sha256 = Sha256::Hex(object.data);
  if (!stored_spec.sha256.empty() && stored_spec.sha256 != sha256) {
    return End<Result>(absl::InvalidArgumentError("the parts do not match the declared SHA-256"));
  }
  object.declared_sha256 = sha256;
  object.etag = absl::StrCat(sha256.substr(0, 14), "-", parts.size());
  object.content_type =
      stored_spec.content_type.empty() ? "application/octet-stream" : stored_spec.content_type;
  object.metadata = stored_spec.metadata;
  object.last_modified = absl::Now();
  StoredObject stored{spec.key, static_cast<int64_t>(object.data.size()), object.etag, sha256};
  UploadSpec conditions = spec;
  if (absl::Status put = StoreIf(context.tenant_id, conditions, std::move(object)); !put.ok()) {
    return End<Result>(put);
  }
  {
    absl::MutexLock lock(&mu_);
    MultipartUpload& done = uploads_[upload_id];
    done.complete = true;
    done.parts.clear();
    done.object = stored;
  }
  if (fault) return End<Result>(fault->status);
  return End<Result>(std::move(stored));
}

absl::Status FakeUpstream::AbortMultipartUpload(const CallContext& context, const std::string& key,
                                                const std::string& upload_id) {
  Call call{Op::kAbortMultipartUpload};
  call.key = key;
  call.upload_id = upload_id;
  std::optional<Fault> fault = Begin(std::move(call), context);
  if (fault && !fault->after_success) return End(fault->status);
  absl::Status status = [&]() -> absl::Status {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<MultipartUpload*> upload = FindUpload(context, key, upload_id);
    if (!upload.ok()) return upload.status();
    if ((*upload)->complete) return absl::FailedPreconditionError("the upload is complete");
    uploads_.erase(upload_id);
    return absl::OkStatus();
  }();
  if (status.ok() && fault) status = fault->status;
  return End(status);
}

int FakeUpstream::MultipartUploadCount() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(std::count_if(uploads_.begin(), uploads_.end(), [](const auto& upload) {
    return !upload.second.complete;
  }));
}

absl::Status FakeUpstream::CheckLive(const CallContext& context) {
  std::optional<Fault> fault = Begin({Op::kCheckLive}, context);
  if (fault) return End(fault->status);
  absl::Status live;
  {
    absl::MutexLock lock(&mu_);
    live = live_;
  }
  return End(live);
}

absl::Status FakeUpstream::CheckReady(const CallContext& context) {
  std::optional<Fault> fault = Begin({Op::kCheckReady}, context);
  if (fault) return End(fault->status);
  absl::Status ready;
  {
    absl::MutexLock lock(&mu_);
    ready = ready_;
  }
  return End(ready);
}

}  // namespace objgate
