#include "server/upstream/rest_upstream.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/crc32c.h"
#include "common/retry/repeat_rules.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"
#include "common/url_encoding.h"
#include "server/upstream/delimiter_grouping.h"
#include "server/upstream/http_answers.h"
#include "server/upstream/rest_answers.h"
#include "server/upstream/status_mapping.h"
#include "server/upstream/streamed_copy.h"

namespace objgate {
namespace {

// JSON answers are small; a larger one means the upstream misbehaves.
constexpr size_t kMaxAnswerBytes = 32 << 20;

std::string Quote(absl::string_view what) { return absl::StrCat("\"", what, "\""); }

absl::Status ErrorFromAnswer(int http_status, const HttpHeaders& headers, absl::string_view body,
                             absl::string_view what) {
  return StatusFromAnswer(AnswerOf(http_status, headers, body), headers, what, absl::Now());
}

absl::Status ErrorFromAnswer(const BufferedResponse& answer, absl::string_view what) {
  return ErrorFromAnswer(answer.status, answer.headers, answer.body, what);
}

// The store's own capability (rest_dialect.md) that conditional writes need.
constexpr absl::string_view kConditionalWrites = "conditional_writes";
constexpr absl::string_view kMultipartUploads = "multipart_uploads";
// The store checks X-Checksum-SHA256 on uploads and reports the stored bytes' SHA-256.
constexpr absl::string_view kUploadChecksums = "upload_checksums";
// How long a store's "conditional_writes" is trusted before it is asked again.
constexpr absl::Duration kCapabilityTrust = absl::Minutes(1);

// Counts the bytes that pass, so the answer can be checked against what was sent.
class CountingSource : public ByteSource {
 public:
  explicit CountingSource(ByteSource& source) : source_(source) {}
  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    absl::StatusOr<size_t> read = source_.Read(buffer);
    if (read.ok()) bytes_ += static_cast<int64_t>(*read);
    return read;
  }
  int64_t bytes() const { return bytes_; }

 private:
  ByteSource& source_;
  int64_t bytes_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RestUpstream>> RestUpstream::Create(HttpClient& http,
                                                                   std::string base_url,
                                                                   Clock& clock) {
  if (!absl::StartsWith(base_url, "http://") && !absl::StartsWith(base_url, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("upstream URL must start with http:// or https://, got \"", base_url, "\""));
  }
  while (absl::EndsWith(base_url, "/")) base_url.pop_back();
  return std::unique_ptr<RestUpstream>(new RestUpstream(http, std::move(base_url), clock));
}

HttpRequest RestUpstream::NewRequest(
    const CallContext& context, absl::string_view method, absl::string_view path,
    absl::Span<const std::pair<absl::string_view, absl::string_view>> query) const {
  HttpRequest request;
  request.method = std::string(method);
  request.url = absl::StrCat(base_url_, path);
  char separator = '?';
  for (const auto& [name, value] : query) {
    absl::StrAppend(&request.url, absl::string_view(&separator, 1), name, "=", UrlEncode(value));
    separator = '&';
  }
  if (!context.tenant_id.empty()) request.headers.Add("X-Tenant-ID", context.tenant_id);
  if (!context.request_id.empty()) request.headers.Add("X-Request-Id", context.request_id);
  request.deadline = context.deadline;
  request.is_cancelled = context.is_cancelled;
  return request;
}

absl::StatusOr<UpstreamServerInfo> RestUpstream::FetchServerInfo(const CallContext& context) {
  HttpRequest request = NewRequest(context, "GET", "/", {});
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) return ErrorFromAnswer(*answer, "server info");
  return ParseServerInfo(answer->body);
}

absl::StatusOr<UpstreamServerInfo> RestUpstream::GetServerInfo(const CallContext& context) {
  absl::StatusOr<UpstreamServerInfo> info = FetchServerInfo(context);
  if (!info.ok()) return info;
  const bool conditional_writes = std::find(info->capabilities.begin(), info->capabilities.end(),
                                            kConditionalWrites) != info->capabilities.end();
  info->dialect = "rest";
  // The dialect has no user metadata of its own (rest_dialect.md: X-Meta-* may be
  // ignored), so none is promised. Copies are streamed through the gateway.
  const bool multipart_uploads = std::find(info->capabilities.begin(), info->capabilities.end(),
                                           kMultipartUploads) != info->capabilities.end();
  info->capabilities = {"stat", "delimiter", "copy"};
  if (conditional_writes) {
    info->capabilities.insert(info->capabilities.end(),
                              {"conditional_upload", "conditional_delete"});
  }
  if (multipart_uploads) info->capabilities.push_back("resumable_upload");
  return info;
}

absl::StatusOr<bool> RestUpstream::Declares(const CallContext& context,
                                            absl::string_view capability, bool remember_no) {
  {
    absl::MutexLock lock(&mu_);
    auto known = declared_.find(capability);
    if (known != declared_.end() && clock_.Now() < known->second.until) {
      return known->second.declared;
    }
  }
  absl::StatusOr<UpstreamServerInfo> info = FetchServerInfo(context);
  if (!info.ok()) return info.status();
  const bool declared = std::find(info->capabilities.begin(), info->capabilities.end(),
                                  capability) != info->capabilities.end();
  if (declared || remember_no) {
    absl::MutexLock lock(&mu_);
    declared_[capability] = {declared, clock_.Now() + kCapabilityTrust};
  }
  return declared;
}

absl::Status RestUpstream::RequireCapability(const CallContext& context,
                                             absl::string_view capability, absl::string_view what,
                                             absl::string_view consequence) {
  absl::StatusOr<bool> declared = Declares(context, capability, /*remember_no=*/false);
  if (!declared.ok()) return declared.status();
  if (!*declared) {
    return absl::UnimplementedError(absl::StrCat(what, ": the upstream store does not declare \"",
                                                 capability, "\" in its server info, ",
                                                 consequence));
  }
  return absl::OkStatus();
}

bool RestUpstream::HashesUploads(const CallContext& context) {
  // Asked before every upload, so a no is remembered too; a store that cannot be asked is
  // taken to say no, and the upload meets the failure itself.
  return Declares(context, kUploadChecksums, /*remember_no=*/true).value_or(false);
}

absl::Status RestUpstream::RequireConditionalWrites(const CallContext& context,
                                                    absl::string_view what) {
  return RequireCapability(context, kConditionalWrites, what,
                           "and the gateway does not emulate conditional writes with a check "
                           "before the write, which another writer could race");
}

absl::Status RestUpstream::RequireMultipartUploads(const CallContext& context,
                                                   absl::string_view what) {
  return RequireCapability(context, kMultipartUploads, what,
                           "so resumable uploads cannot keep their parts there");
}

absl::StatusOr<StoredObject> RestUpstream::Upload(const CallContext& context,
                                                  const UploadSpec& spec, ByteSource& body) {
  const std::string what = absl::StrCat("upload of ", Quote(spec.key));
  if (spec.conditional()) {
    if (absl::Status offered = RequireConditionalWrites(context, what); !offered.ok()) {
      return offered;
    }
  }
  HttpRequest request = NewRequest(context, "PUT", "/upload", {{"key", spec.key}});
  if (!spec.if_none_match.empty()) request.headers.Add("If-None-Match", spec.if_none_match);
  if (!spec.if_match.empty()) request.headers.Add("If-Match", Quote(spec.if_match));
  request.headers.Add("Content-Type",
                      spec.content_type.empty() ? "application/octet-stream" : spec.content_type);
  if (!spec.sha256.empty()) request.headers.Add("X-Checksum-SHA256", spec.sha256);
  for (const auto& [name, value] : spec.metadata) {
    request.headers.Add(absl::StrCat("X-Meta-", name), value);
  }
  CountingSource counted(body);
  request.body = &counted;
  request.body_size = spec.size;

  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) return ErrorFromAnswer(*answer, what);
  absl::StatusOr<StoredObject> result = ParseUploadAnswer(answer->body, spec.key, counted.bytes());
  if (result.ok() && result->etag.empty()) {
    if (auto etag = answer->headers.Get("ETag")) result->etag = BareEtag(*etag);
  }
  return result;
}

absl::Status RestUpstream::Download(const CallContext& context, const DownloadSpec& spec,
                                    DownloadSink& sink) {
  HttpRequest request = NewRequest(context, "GET", "/download", {{"key", spec.key}});
  AddDownloadHeaders(spec, request.headers);
  DownloadAnswerSink answer(
      spec, sink, {"X-Checksum-SHA256", "X-Meta-", {}, "X-Checksum-CRC32C"},
      [](int http_status, const HttpHeaders& headers, absl::string_view body,
         absl::string_view what) { return ErrorFromAnswer(http_status, headers, body, what); });
  return answer.Outcome(http_.Perform(request, answer),
                        absl::StrCat("download of ", Quote(spec.key)));
}

absl::StatusOr<ListAnswer> RestUpstream::FetchList(const CallContext& context,
                                                   const ListQuery& query,
                                                   std::optional<int> max_keys) {
  const std::string max_keys_text = max_keys ? absl::StrCat(*max_keys) : "";
  std::vector<std::pair<absl::string_view, absl::string_view>> parameters = {
      {"prefix", query.prefix}};
  if (max_keys) {
    parameters.emplace_back("max_keys", max_keys_text);
    if (!query.start_after.empty()) parameters.emplace_back("start_after", query.start_after);
  }
  HttpRequest request = NewRequest(context, "GET", "/list", parameters);
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(*answer, absl::StrCat("list of prefix ", Quote(query.prefix)));
  }
  return ParseListAnswer(answer->body);
}

absl::StatusOr<ListPage> RestUpstream::List(const CallContext& context, const ListQuery& query) {
  if (query.delimiter.empty()) return ListKeys(context, query);
  // The dialect has no delimiter listings: the gateway folds the keys itself.
  return ListGroupedByDelimiter(query,
                                [&](const ListQuery& keys) { return ListKeys(context, keys); });
}

absl::StatusOr<ListPage> RestUpstream::ListKeys(const CallContext& context,
                                                const ListQuery& query) {
  absl::StatusOr<ListAnswer> answer = FetchList(context, query, query.max_keys);
  if (!answer.ok()) return answer.status();
  if (!answer->paginates && answer->page.entries.size() >= static_cast<size_t>(query.max_keys)) {
    // A store that honours max_keys but does not paginate cannot say whether it cut the
    // listing short, nor continue after start_after: ask for all of it.
    answer = FetchList(context, query, std::nullopt);
    if (!answer.ok()) return answer.status();
  }
  // A store that does not paginate answers from the start of its listing, and may not
  // filter by prefix: keep what the query asked for.
  std::vector<ObjectEntry>& entries = answer->page.entries;
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&](const ObjectEntry& entry) {
                                 return entry.key <= query.start_after ||
                                        !absl::StartsWith(entry.key, query.prefix);
                               }),
                entries.end());
  return std::move(answer->page);
}

absl::Status RestUpstream::Delete(const CallContext& context, const DeleteSpec& spec) {
  const std::string what = absl::StrCat("delete of ", Quote(spec.key));
  if (!spec.if_match.empty()) {
    if (absl::Status offered = RequireConditionalWrites(context, what); !offered.ok()) {
      return offered;
    }
  }
  HttpRequest request = NewRequest(context, "DELETE", "/delete", {{"key", spec.key}});
  if (!spec.if_match.empty()) request.headers.Add("If-Match", Quote(spec.if_match));
  request.count_sends = true;
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  const absl::Status status =
      IsSuccess(answer->status) ? absl::OkStatus() : ErrorFromAnswer(*answer, what);
  if (answer->requests_sent > 1 && context.stats != nullptr) {
    context.stats->retries += answer->requests_sent - 1;
  }
  return OutcomeOfDelete(status, answer->requests_sent > 1);
}

absl::StatusOr<StoredObject> RestUpstream::Copy(const CallContext& context, const CopySpec& spec) {
  // The dialect has no copy: the bytes come through the gateway.
  return StreamedCopy(*this, context, spec);
}

namespace {

void AddObjectHeaders(const UploadSpec& spec, HttpHeaders& headers) {
  headers.Add("Content-Type",
              spec.content_type.empty() ? "application/octet-stream" : spec.content_type);
  if (!spec.sha256.empty()) headers.Add("X-Checksum-SHA256", spec.sha256);
  for (const auto& [name, value] : spec.metadata) headers.Add(absl::StrCat("X-Meta-", name), value);
  if (!spec.if_none_match.empty()) headers.Add("If-None-Match", spec.if_none_match);
  if (!spec.if_match.empty()) headers.Add("If-Match", Quote(spec.if_match));
}

}  // namespace

absl::StatusOr<std::string> RestUpstream::CreateMultipartUpload(const CallContext& context,
                                                                const UploadSpec& spec) {
  const std::string what = absl::StrCat("resumable upload of ", Quote(spec.key));
  if (absl::Status offered = RequireMultipartUploads(context, what); !offered.ok()) {
    return offered;
  }
  if (spec.conditional()) {
    if (absl::Status offered = RequireConditionalWrites(context, what); !offered.ok()) {
      return offered;
    }
  }
  HttpRequest request = NewRequest(context, "POST", "/uploads", {{"key", spec.key}});
  AddObjectHeaders(spec, request.headers);
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) return ErrorFromAnswer(*answer, what);
  return ParseUploadStartAnswer(answer->body);
}

absl::StatusOr<UploadedPart> RestUpstream::UploadPart(const CallContext& context,
                                                      const std::string& key,
                                                      const std::string& upload_id, int number,
                                                      absl::string_view bytes) {
  const std::string number_text = absl::StrCat(number);
  HttpRequest request =
      NewRequest(context, "PUT", "/uploads/part",
                 {{"key", key}, {"upload_id", upload_id}, {"part_number", number_text}});
  // The store checks the part's bytes against it: the CRC32C, twenty times cheaper, where
  // the store declares it checks one (upload_checksums), the SHA-256 otherwise.
  if (HashesUploads(context)) {
    request.headers.Add("X-Checksum-CRC32C", absl::StrFormat("%08x", Crc32c(bytes)));
  } else {
    request.headers.Add("X-Checksum-SHA256", Sha256::Hex(bytes));
  }
  StringByteSource body(bytes);
  request.body = &body;
  request.body_size = static_cast<int64_t>(bytes.size());
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(
        *answer, absl::StrCat("part ", number, " of the resumable upload of ", Quote(key)));
  }
  absl::StatusOr<UploadedPart> part = ParsePartAnswer(answer->body);
  if (part.ok() && (part->number != number || part->size != static_cast<int64_t>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("upstream stored part ", part->number, " of ",
                                            part->size, " bytes for part ", number, " of ",
                                            bytes.size()));
  }
  return part;
}

absl::StatusOr<MultipartUploadState> RestUpstream::ListParts(const CallContext& context,
                                                             const std::string& key,
                                                             const std::string& upload_id) {
  HttpRequest request =
      NewRequest(context, "GET", "/uploads/parts", {{"key", key}, {"upload_id", upload_id}});
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(*answer, absl::StrCat("parts of the resumable upload of ", Quote(key)));
  }
  return ParsePartsAnswer(answer->body, key);
}

absl::StatusOr<StoredObject> RestUpstream::CompleteMultipartUpload(
    const CallContext& context, const UploadSpec& spec, const std::string& upload_id,
    const std::vector<UploadedPart>& parts) {
  // The store assembles every part it holds, which must be `parts`, and enforces the
  // conditions it recorded at the start.
  HttpRequest request = NewRequest(context, "POST", "/uploads/complete",
                                   {{"key", spec.key}, {"upload_id", upload_id}});
  StringByteSource empty("");
  request.body = &empty;
  request.body_size = 0;
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(*answer,
                           absl::StrCat("completion of the resumable upload of ", Quote(spec.key)));
  }
  int64_t size = 0;
  for (const UploadedPart& part : parts) size += part.size;
  absl::StatusOr<StoredObject> stored = ParseUploadAnswer(answer->body, spec.key, size);
  if (!stored.ok()) return stored;
  if (stored->etag.empty()) {
    if (auto etag = answer->headers.Get("ETag")) stored->etag = BareEtag(*etag);
  }
  return stored;
}

absl::Status RestUpstream::AbortMultipartUpload(const CallContext& context, const std::string& key,
                                                const std::string& upload_id) {
  HttpRequest request =
      NewRequest(context, "DELETE", "/uploads", {{"key", key}, {"upload_id", upload_id}});
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (IsSuccess(answer->status)) return absl::OkStatus();
  absl::Status error =
      ErrorFromAnswer(*answer, absl::StrCat("cancel of the resumable upload of ", Quote(key)));
  // 409: the store says the upload completed.
  if (answer->status == 409) return absl::FailedPreconditionError(error.message());
  return error;
}

absl::Status RestUpstream::CheckLive(const CallContext& context) {
  HttpRequest request = NewRequest(context, "GET", "/minio/health/live", {});
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (answer->status != 200) return ErrorFromAnswer(*answer, "liveness check");
  return absl::OkStatus();
}

absl::Status RestUpstream::CheckReady(const CallContext& context) {
  HttpRequest request = NewRequest(context, "GET", "/minio/health/ready", {});
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxAnswerBytes);
  if (!answer.ok()) return answer.status();
  if (answer->status != 200) return ErrorFromAnswer(*answer, "readiness check");
  if (absl::StripAsciiWhitespace(answer->body) != "READY") {
    return absl::UnavailableError(absl::StrCat(
        "upstream is not ready: it answered \"",
        UpstreamErrorText(AnswerOf(answer->status, answer->headers, answer->body)), "\""));
  }
  return absl::OkStatus();
}

}  // namespace objgate
