#include "server/upstream/s3_upstream.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"
#include "common/url_encoding.h"
#include "server/upstream/http_answers.h"
#include "server/upstream/object_head.h"
#include "server/upstream/retry_call.h"
#include "server/upstream/s3_answers.h"
#include "server/upstream/s3_request.h"
#include "server/upstream/status_mapping.h"
#include "server/upstream/streamed_copy.h"

namespace objgate {

// Cuts a body into parts of `part_bytes` and knows, once a part is read, whether it is the
// last: it looks one byte past a full part, so that a body of exactly one part is one
// PutObject. Holds at most one part plus one read ahead.
class PartReader {
 public:
  PartReader(ByteSource& source, size_t part_bytes) : source_(source), part_bytes_(part_bytes) {}

  // Replaces `part` with the next part; an empty part means the body has ended.
  absl::Status Next(std::string& part) {
    // Copied, not swapped: `part` keeps its capacity, so one buffer serves every part.
    part.assign(ahead_);
    ahead_.clear();
    while (part.size() < part_bytes_ && !ended_) {
      absl::Status read = ReadInto(part, part_bytes_ - part.size());
      if (!read.ok()) return read;
    }
    if (!ended_) {
      absl::Status read = ReadInto(ahead_, kReadAheadBytes);
      if (!read.ok()) return read;
    }
    bytes_ += static_cast<int64_t>(part.size());
    return absl::OkStatus();
  }

  // The part last returned by Next was the body's last.
  bool last() const { return ended_ && ahead_.empty(); }
  // Bytes returned in parts so far.
  int64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kReadAheadBytes = 64 << 10;
  // One Read asks for as much as the part holds already, from 64 KiB up to 1 MiB: a small
  // object costs a small buffer (a 4 KiB upload must not zero-fill a megabyte), and a large
  // part grows in few steps.
  static constexpr size_t kMinReadBytes = 64 << 10;
  static constexpr size_t kMaxReadBytes = 1 << 20;

  absl::Status ReadInto(std::string& buffer, size_t most) {
    const size_t old_size = buffer.size();
    const size_t want = std::clamp(old_size, kMinReadBytes, kMaxReadBytes);
    buffer.resize(old_size + std::min(most, want));
    absl::StatusOr<size_t> read =
        source_.Read(absl::MakeSpan(buffer.data() + old_size, buffer.size() - old_size));
    if (!read.ok()) {
      buffer.resize(old_size);
      return read.status();
    }
    buffer.resize(old_size + *read);
    if (*read == 0) ended_ = true;
    return absl::OkStatus();
  }

  ByteSource& source_;
  const size_t part_bytes_;
  std::string ahead_;
  bool ended_ = false;
  int64_t bytes_ = 0;
};

namespace {

constexpr absl::string_view kChecksumMetadata = "objgate-sha256";
constexpr absl::string_view kChecksumHeader = "x-amz-meta-objgate-sha256";
// Set on an object made by a resumable upload to a nonce kept in its upload id, so that a
// query after the completion (when S3 has forgotten the upload) can tell it completed.
constexpr absl::string_view kUploadMarkerMetadata = "objgate-upload";
constexpr absl::string_view kUploadMarkerHeader = "x-amz-meta-objgate-upload";
constexpr absl::string_view kTenantPlaceholder = "{tenant}";
// How long an abort may take once the upload has failed (the caller may be gone).
constexpr absl::Duration kAbortTimeout = absl::Seconds(10);
// Operator errors are logged at most this often per error code.
constexpr absl::Duration kOperatorLogInterval = absl::Minutes(1);
// S3 answers at most this many keys per ListObjectsV2 page.
constexpr int kMaxListKeys = 1000;

std::string Quote(absl::string_view what) { return absl::StrCat("\"", what, "\""); }

// A bucket name S3 accepts: 3 to 63 of [a-z0-9.-], starting and ending with a letter or
// digit.
bool IsValidBucketName(absl::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '.' && c != '-') return false;
  }
  return absl::ascii_isalnum(name.front()) && absl::ascii_isalnum(name.back());
}

// The ETag S3 gives a completed multipart upload: the MD5 of the parts' MD5s, then "-N".
// Lets a completion whose answer was lost be recognised by a HEAD of the object.
std::optional<std::string> MultipartEtag(const std::vector<UploadedPart>& parts) {
  std::string digests;
  for (const UploadedPart& part : parts) {
    const std::string etag = BareEtag(part.etag);
    if (etag.size() != 32 || !std::all_of(etag.begin(), etag.end(), absl::ascii_isxdigit)) {
      return std::nullopt;
    }
    digests += absl::HexStringToBytes(etag);
  }
  unsigned char md5[EVP_MAX_MD_SIZE];
  unsigned int md5_size = 0;
  if (EVP_Digest(digests.data(), digests.size(), md5, &md5_size, EVP_md5(), nullptr) != 1) {
    return std::nullopt;
  }
  return absl::StrCat(
      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md5), md5_size)), "-",
      parts.size());
}

// What the operator must change for an error that names the gateway's configuration;
// empty for any other error.
std::string OperatorFix(absl::string_view code, absl::string_view bucket,
                        const AwsCredentials& credentials) {
  if (code == "NoSuchBucket") {
    return absl::StrCat("create bucket ", Quote(bucket),
                        " or point --s3_bucket at one that exists");
  }
  if (code == "InvalidAccessKeyId") {
    return absl::StrCat("the store knows no access key ", Quote(credentials.access_key_id),
                        ": check AWS_ACCESS_KEY_ID or the shared credentials file");
  }
  if (code == "SignatureDoesNotMatch") {
    return absl::StrCat("the secret key is not the one of access key ",
                        Quote(credentials.access_key_id),
                        ": check AWS_SECRET_ACCESS_KEY or the shared credentials file");
  }
  if (code == "AccessDenied") {
    return absl::StrCat("access key ", Quote(credentials.access_key_id), " may not use bucket ",
                        Quote(bucket), ": grant it access or give the gateway other credentials");
  }
  if (code == "RequestTimeTooSkewed") {
    return "the gateway's clock is more than 15 minutes from the store's: synchronise it "
           "(NTP)";
  }
  return "";
}

}  // namespace

absl::Status ValidateS3UpstreamOptions(const S3UpstreamOptions& options) {
  if (absl::Status endpoint = ParseS3Endpoint(options.endpoint).status(); !endpoint.ok()) {
    return endpoint;
  }
  if (options.bucket.empty()) {
    return absl::InvalidArgumentError("s3_bucket is required with --upstream_dialect=s3");
  }
  const bool per_tenant = absl::StrContains(options.bucket, kTenantPlaceholder);
  const std::string example = absl::StrReplaceAll(options.bucket, {{kTenantPlaceholder, "t1"}});
  if (!IsValidBucketName(example)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "s3_bucket ", Quote(options.bucket),
        " is not a valid bucket name: 3 to 63 of a-z, 0-9, '.' and '-', starting and ending "
        "with a letter or digit",
        per_tenant ? " (with {tenant} replaced by the tenant id)" : ""));
  }
  if (options.region.empty()) return absl::InvalidArgumentError("s3_region must not be empty");
  if (options.part_bytes < kMinS3PartBytes || options.part_bytes > kMaxS3PartBytes) {
    return absl::InvalidArgumentError(absl::StrCat("s3_part_bytes must be ", kMinS3PartBytes,
                                                   " (5 MiB) to ", kMaxS3PartBytes,
                                                   " (5 GiB), got ", options.part_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<S3Upstream>> S3Upstream::Create(HttpClient& http,
                                                               AwsCredentialsProvider& credentials,
                                                               BackoffPolicy retry, Clock& clock,
                                                               S3UpstreamOptions options) {
  if (absl::Status valid = ValidateS3UpstreamOptions(options); !valid.ok()) return valid;
  absl::StatusOr<S3Endpoint> endpoint = ParseS3Endpoint(options.endpoint);
  endpoint->region = options.region;
  endpoint->virtual_host_addressing = options.virtual_host_addressing;
  return std::unique_ptr<S3Upstream>(new S3Upstream(http, credentials, std::move(retry), clock,
                                                    std::move(options), *std::move(endpoint)));
}

S3Upstream::S3Upstream(HttpClient& http, AwsCredentialsProvider& credentials, BackoffPolicy retry,
                       Clock& clock, S3UpstreamOptions options, S3Endpoint endpoint)
    : http_(http),
      credentials_(credentials),
      retry_(std::move(retry)),
      clock_(clock),
      options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      bucket_per_tenant_(absl::StrContains(options_.bucket, kTenantPlaceholder)) {}

absl::StatusOr<S3Upstream::Location> S3Upstream::Locate(absl::string_view tenant_id,
                                                        absl::string_view key) const {
  if (tenant_id.empty()) return absl::InvalidArgumentError("object calls need a tenant");
  if (!bucket_per_tenant_) return Location{options_.bucket, absl::StrCat(tenant_id, "/", key)};
  std::string bucket = absl::StrReplaceAll(options_.bucket, {{kTenantPlaceholder, tenant_id}});
  if (!IsValidBucketName(bucket)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tenant ", Quote(tenant_id), " cannot name a bucket under the gateway's template ",
        Quote(options_.bucket),
        ": bucket names are 3 to 63 of a-z, 0-9, '.' and '-'; use lowercase tenant ids"));
  }
  return Location{std::move(bucket), std::string(key)};
}

HttpRequest S3Upstream::Sign(const CallContext& context, const S3Request& request,
                             absl::string_view payload_sha256) {
  HttpRequest http =
      SignS3Request(endpoint_, request, credentials_.Current(), clock_.Now(), payload_sha256);
  // Not signed: proxies on the way may rewrite it, and the store does not care.
  if (!context.request_id.empty()) http.headers.Add("X-Request-Id", context.request_id);
  http.deadline = context.deadline;
  http.is_cancelled = context.is_cancelled;
  return http;
}

absl::StatusOr<BufferedResponse> S3Upstream::Exchange(const CallContext& context,
                                                      const S3Request& request,
                                                      absl::string_view body,
                                                      absl::string_view body_sha256) {
  HttpRequest http =
      Sign(context, request, body_sha256.empty() ? Sha256::Hex(body) : std::string(body_sha256));
  StringByteSource source(body);
  if (!body.empty() || request.method == "PUT" || request.method == "POST") {
    http.body = &source;
    http.body_size = static_cast<int64_t>(body.size());
  }
  return PerformBuffered(http_, http, kMaxS3AnswerBytes);
}

absl::Status S3Upstream::ErrorFromAnswer(absl::string_view bucket, int http_status,
                                         const HttpHeaders& headers, absl::string_view body,
                                         absl::string_view what) {
  const std::optional<S3Error> error = ParseS3Error(body);
  absl::Status status =
      StatusFromAnswer(error ? AnswerOf(http_status, headers, body, error->code, error->message)
                             : AnswerOf(http_status, headers, body),
                       headers, what, clock_.Now());
  if (!error.has_value()) return status;
  const std::string fix = OperatorFix(error->code, bucket, credentials_.Current());
  if (fix.empty()) return status;
  status = absl::Status(status.code(),
                        absl::StrCat(status.message(), "; the gateway is misconfigured: ", fix));
  LogOperatorError(error->code, status.message());
  return status;
}

void S3Upstream::LogOperatorError(absl::string_view code, absl::string_view message) {
  if (!options_.log_error) return;
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&log_mu_);
    auto [last, first_time] = last_logged_.try_emplace(code, now);
    if (!first_time) {
      if (now - last->second < kOperatorLogInterval) return;
      last->second = now;
    }
  }
  options_.log_error(message);
}

namespace {

// A write's preconditions as S3 takes them. If-Match goes without quotes: Ceph RGW 16
// compares the header with the bare ETag, and AWS S3 and MinIO take either.
void AddConditionHeaders(const UploadSpec& spec, HttpHeaders& headers) {
  if (!spec.if_none_match.empty()) headers.Add("If-None-Match", spec.if_none_match);
  if (!spec.if_match.empty()) headers.Add("If-Match", spec.if_match);
}

}  // namespace

absl::Status S3Upstream::CheckReservedMetadata(const UploadSpec& spec) const {
  for (const auto& [name, value] : spec.metadata) {
    if (absl::EqualsIgnoreCase(name, kChecksumMetadata) ||
        absl::EqualsIgnoreCase(name, kUploadMarkerMetadata)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata key ", Quote(name), " is reserved: the gateway keeps its own data there"));
    }
  }
  return absl::OkStatus();
}

HttpHeaders S3Upstream::ObjectHeaders(const UploadSpec& spec,
                                      absl::string_view stored_sha256) const {
  HttpHeaders headers;
  headers.Add("Content-Type",
              spec.content_type.empty() ? "application/octet-stream" : spec.content_type);
  for (const auto& [name, value] : spec.metadata) {
    headers.Add(absl::StrCat("x-amz-meta-", absl::AsciiStrToLower(name)), value);
  }
  if (!stored_sha256.empty()) {
    headers.Add(std::string(kChecksumHeader), absl::AsciiStrToLower(stored_sha256));
  }
  return headers;
}

absl::StatusOr<StoredObject> S3Upstream::Upload(const CallContext& context, const UploadSpec& spec,
                                                ByteSource& body) {
  absl::StatusOr<Location> location = Locate(context.tenant_id, spec.key);
  if (!location.ok()) return location.status();
  if (absl::Status reserved = CheckReservedMetadata(spec); !reserved.ok()) return reserved;
  // Only PutObject's conditions are enforced by every store; a multipart upload's are
  // checked at its completion, which not every store does.
  const bool unenforceable_multipart =
      spec.conditional() && !options_.store_enforces_all_conditions;
  auto refuse_multipart = [&] {
    return absl::UnimplementedError(absl::StrCat(
        "upload of ", Quote(spec.key), ": a conditional upload larger than --s3_part_bytes (",
        options_.part_bytes,
        " bytes) is a multipart upload, and the gateway does not rely on "
        "this store to enforce the condition when it completes one (Ceph RGW 16 does not); "
        "if it does (AWS S3, MinIO), run the gateway with --s3_store_conditions=all"));
  };
  if (unenforceable_multipart && spec.size && *spec.size > options_.part_bytes) {
    return refuse_multipart();
  }
  PartReader parts(body, static_cast<size_t>(options_.part_bytes));
  std::string first;
  if (absl::Status read = parts.Next(first); !read.ok()) return read;
  if (parts.last()) {
    if (spec.size && *spec.size != parts.bytes()) {
      return absl::InvalidArgumentError(
          absl::StrCat("upload declared ", *spec.size, " bytes but sent ", parts.bytes()));
    }
    return PutObject(context, *location, spec, first);
  }
  if (unenforceable_multipart) return refuse_multipart();
  // A multipart upload starts only once the body is known to need one; the first part's
  // buffer serves every part.
  return MultipartUpload(context, *location, spec, parts, first);
}

absl::StatusOr<StoredObject> S3Upstream::PutObject(const CallContext& context,
                                                   const Location& location, const UploadSpec& spec,
                                                   absl::string_view bytes) {
  const std::string sha256 = Sha256::Hex(bytes);
  S3Request request;
  request.method = "PUT";
  request.bucket = location.bucket;
  request.key = location.key;
  request.headers = ObjectHeaders(spec, sha256);
  AddConditionHeaders(spec, request.headers);
  const std::string what = absl::StrCat("upload of ", Quote(spec.key));
  int attempts = 0;
  return RetryCall(retry_, clock_, context, [&]() -> absl::StatusOr<StoredObject> {
    ++attempts;
    absl::StatusOr<BufferedResponse> answer = Exchange(context, request, bytes, sha256);
    if (!answer.ok()) return answer.status();
    StoredObject object{spec.key, static_cast<int64_t>(bytes.size()), "", sha256};
    if (!IsSuccess(answer->status)) {
      absl::Status error =
          ErrorFromAnswer(location.bucket, answer->status, answer->headers, answer->body, what);
      if (attempts == 1 || !absl::IsFailedPrecondition(error)) return error;
      // Refused on a repeat: an earlier attempt whose answer was lost may have stored it.
      absl::StatusOr<std::string> etag = EtagIfStored(context, location, sha256, error);
      if (!etag.ok()) return etag.status();
      object.etag = *std::move(etag);
      return object;
    }
    if (auto etag = answer->headers.Get("ETag")) object.etag = BareEtag(*etag);
    return object;
  });
}

absl::StatusOr<StoredObject> S3Upstream::MultipartUpload(const CallContext& context,
                                                         const Location& location,
                                                         const UploadSpec& spec, PartReader& parts,
                                                         std::string& part) {
  const std::string what = absl::StrCat("upload of ", Quote(spec.key));

  absl::StatusOr<std::string> created = RetryCall(retry_, clock_, context, [&] {
    return StartUpload(context, location, ObjectHeaders(spec, spec.sha256), what);
  });
  if (!created.ok()) return created.status();
  const std::string upload_id = *std::move(created);

  // From here on every failure aborts the upload, so that no part outlives it.
  std::vector<UploadedPart> completed;
  absl::StatusOr<StoredObject> stored = [&]() -> absl::StatusOr<StoredObject> {
    while (true) {
      const int number = static_cast<int>(completed.size()) + 1;
      const std::string sha256 = Sha256::Hex(part);
      absl::StatusOr<std::string> etag = RetryCall(retry_, clock_, context, [&] {
        return PutPart(context, location, upload_id, number, part, sha256, what);
      });
      if (!etag.ok()) return etag.status();
      completed.push_back({number, static_cast<int64_t>(part.size()), *std::move(etag)});
      if (parts.last()) break;
      if (absl::Status read = parts.Next(part); !read.ok()) return read;
    }
    if (spec.size && *spec.size != parts.bytes()) {
      return absl::InvalidArgumentError(
          absl::StrCat("upload declared ", *spec.size, " bytes but sent ", parts.bytes()));
    }
    return Complete(context, location, spec, upload_id, completed, what);
  }();
  if (!stored.ok()) {
    AbortAfterFailure(context, location, upload_id);
    return stored.status();
  }
  stored->key = spec.key;
  stored->size = parts.bytes();
  stored->sha256 = spec.sha256;
  return stored;
}

absl::StatusOr<StoredObject> S3Upstream::Complete(const CallContext& context,
                                                  const Location& location, const UploadSpec& spec,
                                                  const std::string& upload_id,
                                                  const std::vector<UploadedPart>& parts,
                                                  absl::string_view what) {
  S3Request request;
  request.method = "POST";
  request.bucket = location.bucket;
  request.key = location.key;
  request.query = {{"uploadId", upload_id}};
  AddConditionHeaders(spec, request.headers);
  const std::string body = CompleteMultipartUploadBody(parts);
  // An attempt whose answer was lost may have completed the upload; the next then finds
  // no upload, and the object's ETag tells whether it is this upload's.
  bool outcome_unknown = false;
  absl::StatusOr<std::string> etag =
      RetryCall(retry_, clock_, context, [&]() -> absl::StatusOr<std::string> {
        absl::StatusOr<BufferedResponse> answer = Exchange(context, request, body);
        if (!answer.ok()) {
          outcome_unknown = true;
          return answer.status();
        }
        if (!IsSuccess(answer->status)) {
          absl::Status error =
              ErrorFromAnswer(location.bucket, answer->status, answer->headers, answer->body, what);
          // A repeat finds the upload gone, or its condition refused by the object the
          // lost attempt made.
          if (outcome_unknown && (absl::IsNotFound(error) || absl::IsFailedPrecondition(error)))
            return EtagIfCompleted(context, location, parts, error);
          if (answer->status >= 500) outcome_unknown = true;
          return error;
        }
        absl::StatusOr<DeferredResult> completed = ParseCompleteMultipartUpload(answer->body);
        if (!completed.ok()) return completed.status();
        if (completed->error.has_value()) {
          // S3 failed the completion after its 200; AWS documents handling it like a 500.
          outcome_unknown = true;
          return ErrorFromAnswer(location.bucket, 500, answer->headers, answer->body, what);
        }
        return completed->etag;
      });
  if (!etag.ok()) return etag.status();
  if (etag->empty()) {
    // Ceph RGW (16) answers an empty <ETag>; the object has one.
    if (absl::StatusOr<std::string> stored = EtagOf(context, location); stored.ok()) {
      etag = *std::move(stored);
    }
  }
  return StoredObject{"", 0, *std::move(etag)};
}

absl::StatusOr<std::string> S3Upstream::EtagIfCompleted(const CallContext& context,
                                                        const Location& location,
                                                        const std::vector<UploadedPart>& parts,
                                                        absl::Status not_found) {
  std::optional<std::string> expected = MultipartEtag(parts);
  if (!expected) return not_found;
  absl::StatusOr<std::string> stored = EtagOf(context, location);
  if (stored.ok() && *stored == *expected) return *expected;
  return not_found;
}

absl::StatusOr<std::string> S3Upstream::EtagOf(const CallContext& context, const Location& location,
                                               absl::string_view sha256) {
  absl::StatusOr<BufferedResponse> answer = HeadObject(context, location);
  if (!answer.ok()) return answer.status();
  std::optional<absl::string_view> etag = answer->headers.Get("ETag");
  if (!IsSuccess(answer->status) || !etag) {
    return absl::NotFoundError(absl::StrCat("no etag for ", Quote(location.key)));
  }
  if (!sha256.empty() && answer->headers.Get(kChecksumHeader) != sha256) {
    return absl::NotFoundError(absl::StrCat("another object is stored as ", Quote(location.key)));
  }
  return BareEtag(*etag);
}

absl::StatusOr<BufferedResponse> S3Upstream::HeadObject(const CallContext& context,
                                                        const Location& location) {
  S3Request head;
  head.method = "HEAD";
  head.bucket = location.bucket;
  head.key = location.key;
  return Exchange(context, head);
}

absl::StatusOr<std::string> S3Upstream::StartUpload(const CallContext& context,
                                                    const Location& location, HttpHeaders headers,
                                                    absl::string_view what) {
  S3Request request;
  request.method = "POST";
  request.bucket = location.bucket;
  request.key = location.key;
  request.headers = std::move(headers);
  request.query = {{"uploads", ""}};
  absl::StatusOr<BufferedResponse> answer = Exchange(context, request);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(location.bucket, answer->status, answer->headers, answer->body, what);
  }
  return ParseInitiateMultipartUpload(answer->body);
}

absl::StatusOr<std::string> S3Upstream::PutPart(const CallContext& context,
                                                const Location& location,
                                                const std::string& upload_id, int number,
                                                absl::string_view bytes, absl::string_view sha256,
                                                absl::string_view what) {
  S3Request request;
  request.method = "PUT";
  request.bucket = location.bucket;
  request.key = location.key;
  request.query = {{"partNumber", absl::StrCat(number)}, {"uploadId", upload_id}};
  const std::string part_what = absl::StrCat("part ", number, " of the ", what);
  absl::StatusOr<BufferedResponse> answer = Exchange(context, request, bytes, sha256);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(location.bucket, answer->status, answer->headers, answer->body,
                           part_what);
  }
  std::optional<absl::string_view> etag = answer->headers.Get("ETag");
  if (!etag) return absl::InternalError(absl::StrCat(part_what, ": answer has no ETag"));
  return BareEtag(*etag);
}

namespace {

// The upload id S3UpstreamOptions gives out: S3's own, and the marker its object will carry.
struct StoreUploadId {
  std::string s3_upload_id;
  std::string marker;
};

std::string JoinUploadId(absl::string_view s3_upload_id, absl::string_view marker) {
  return absl::StrCat(s3_upload_id, "\n", marker);
}

absl::StatusOr<StoreUploadId> SplitUploadId(absl::string_view upload_id) {
  const size_t newline = upload_id.rfind('\n');
  if (newline == absl::string_view::npos || newline == 0 || newline + 1 == upload_id.size()) {
    return absl::InvalidArgumentError("upload_id does not name an S3 multipart upload");
  }
  return StoreUploadId{std::string(upload_id.substr(0, newline)),
                       std::string(upload_id.substr(newline + 1))};
}

std::string NewMarker() {
  std::random_device random;
  return absl::StrCat(absl::Hex(random(), absl::kZeroPad8), absl::Hex(random(), absl::kZeroPad8),
                      absl::Hex(random(), absl::kZeroPad8), absl::Hex(random(), absl::kZeroPad8));
}

}  // namespace

absl::Status S3Upstream::RequireEnforcedConditions(const UploadSpec& spec,
                                                   absl::string_view what) const {
  if (!spec.conditional() || options_.store_enforces_all_conditions) return absl::OkStatus();
  return absl::UnimplementedError(absl::StrCat(
      what,
      ": a resumable upload is a multipart upload, and the gateway does not rely on this "
      "store to enforce conditions when it completes one (Ceph RGW 16 does not); if it "
      "does (AWS S3, MinIO), run the gateway with --s3_store_conditions=all"));
}

absl::StatusOr<std::string> S3Upstream::CreateMultipartUpload(const CallContext& context,
                                                              const UploadSpec& spec) {
  absl::StatusOr<Location> location = Locate(context.tenant_id, spec.key);
  if (!location.ok()) return location.status();
  const std::string what = absl::StrCat("resumable upload of ", Quote(spec.key));
  if (absl::Status reserved = CheckReservedMetadata(spec); !reserved.ok()) return reserved;
  if (absl::Status enforced = RequireEnforcedConditions(spec, what); !enforced.ok()) {
    return enforced;
  }
  const std::string marker = NewMarker();
  HttpHeaders headers = ObjectHeaders(spec, spec.sha256);
  headers.Add(std::string(kUploadMarkerHeader), marker);
  absl::StatusOr<std::string> upload_id = StartUpload(context, *location, std::move(headers), what);
  if (!upload_id.ok()) return upload_id.status();
  return JoinUploadId(*upload_id, marker);
}

absl::StatusOr<UploadedPart> S3Upstream::UploadPart(const CallContext& context,
                                                    const std::string& key,
                                                    const std::string& upload_id, int number,
                                                    absl::string_view bytes) {
  absl::StatusOr<Location> location = Locate(context.tenant_id, key);
  if (!location.ok()) return location.status();
  absl::StatusOr<StoreUploadId> id = SplitUploadId(upload_id);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::string> etag =
      PutPart(context, *location, id->s3_upload_id, number, bytes, Sha256::Hex(bytes),
              absl::StrCat("resumable upload of ", Quote(key)));
  if (!etag.ok()) return etag.status();
  return UploadedPart{number, static_cast<int64_t>(bytes.size()), *std::move(etag)};
}

absl::StatusOr<MultipartUploadState> S3Upstream::ListParts(const CallContext& context,
                                                           const std::string& key,
                                                           const std::string& upload_id) {
  absl::StatusOr<Location> location = Locate(context.tenant_id, key);
  if (!location.ok()) return location.status();
  absl::StatusOr<StoreUploadId> id = SplitUploadId(upload_id);
  if (!id.ok()) return id.status();
  const std::string what = absl::StrCat("parts of the resumable upload of ", Quote(key));
  MultipartUploadState state;
  int marker = 0;
  while (true) {
    S3Request request;
    request.bucket = location->bucket;
    request.key = location->key;
    request.query = {{"uploadId", id->s3_upload_id}};
    if (marker > 0) request.query.emplace_back("part-number-marker", absl::StrCat(marker));
    absl::StatusOr<BufferedResponse> answer = Exchange(context, request);
    if (!answer.ok()) return answer.status();
    if (!IsSuccess(answer->status)) {
      absl::Status error =
          ErrorFromAnswer(location->bucket, answer->status, answer->headers, answer->body, what);
      if (!absl::IsNotFound(error)) return error;
      // S3 forgets a completed upload; its object remembers the marker.
      absl::StatusOr<BufferedResponse> head = HeadObject(context, *location);
      if (!head.ok()) return head.status();
      if (!IsSuccess(head->status) || head->headers.Get(kUploadMarkerHeader) != id->marker) {
        return absl::NotFoundError(absl::StrCat(
            what, ": no such upload (cancelled, expired, or never started for this tenant)"));
      }
      state.complete = true;
      state.object.key = key;
      int64_t size = 0;
      if (absl::SimpleAtoi(head->headers.Get("Content-Length").value_or(""), &size)) {
        state.object.size = size;
      }
      state.object.etag = BareEtag(head->headers.Get("ETag").value_or(""));
      state.object.sha256 = std::string(head->headers.Get(kChecksumHeader).value_or(""));
      return state;
    }
    absl::StatusOr<ListPartsAnswer> page = ParseListParts(answer->body);
    if (!page.ok()) return page.status();
    state.parts.insert(state.parts.end(), page->parts.begin(), page->parts.end());
    if (!page->is_truncated) return state;
    if (page->next_part_number_marker <= marker) {
      return absl::InternalError(absl::StrCat(what, ": the listing does not move forward"));
    }
    marker = page->next_part_number_marker;
  }
}

absl::StatusOr<StoredObject> S3Upstream::CompleteMultipartUpload(
    const CallContext& context, const UploadSpec& spec, const std::string& upload_id,
    const std::vector<UploadedPart>& parts) {
  absl::StatusOr<Location> location = Locate(context.tenant_id, spec.key);
  if (!location.ok()) return location.status();
  absl::StatusOr<StoreUploadId> id = SplitUploadId(upload_id);
  if (!id.ok()) return id.status();
  const std::string what = absl::StrCat("resumable upload of ", Quote(spec.key));
  if (absl::Status enforced = RequireEnforcedConditions(spec, what); !enforced.ok()) {
    return enforced;
  }
  absl::StatusOr<StoredObject> stored =
      Complete(context, *location, spec, id->s3_upload_id, parts, what);
  if (!stored.ok()) return stored.status();
  stored->key = spec.key;
  stored->size = spec.size.value_or(0);
  return stored;
}

absl::Status S3Upstream::AbortMultipartUpload(const CallContext& context, const std::string& key,
                                              const std::string& upload_id) {
  absl::StatusOr<Location> location = Locate(context.tenant_id, key);
  if (!location.ok()) return location.status();
  absl::StatusOr<StoreUploadId> id = SplitUploadId(upload_id);
  if (!id.ok()) return id.status();
  S3Request request;
  request.method = "DELETE";
  request.bucket = location->bucket;
  request.key = location->key;
  request.query = {{"uploadId", id->s3_upload_id}};
  const std::string what = absl::StrCat("cancel of the resumable upload of ", Quote(key));
  absl::StatusOr<BufferedResponse> answer = Exchange(context, request);
  if (!answer.ok()) return answer.status();
  if (IsSuccess(answer->status)) return absl::OkStatus();
  absl::Status error =
      ErrorFromAnswer(location->bucket, answer->status, answer->headers, answer->body, what);
  if (!absl::IsNotFound(error)) return error;
  absl::StatusOr<BufferedResponse> head = HeadObject(context, *location);
  if (head.ok() && IsSuccess(head->status) &&
      head->headers.Get(kUploadMarkerHeader) == id->marker) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": the upload is complete"));
  }
  return absl::NotFoundError(
      absl::StrCat(what,
                   ": no such upload (cancelled, expired, or never started for this "
                   "tenant)"));
}

absl::StatusOr<std::string> S3Upstream::EtagIfStored(const CallContext& context,
                                                     const Location& location,
                                                     absl::string_view sha256,
                                                     absl::Status refused) {
  absl::StatusOr<std::string> etag = EtagOf(context, location, sha256);
  if (!etag.ok()) return refused;
  return etag;
}

void S3Upstream::AbortAfterFailure(const CallContext& context, const Location& location,
                                   const std::string& upload_id) {
  // The caller may be gone: the abort runs on its own deadline, uncancelled.
  CallContext abort_context;
  abort_context.tenant_id = context.tenant_id;
  abort_context.request_id = context.request_id;
  abort_context.deadline = clock_.Now() + kAbortTimeout;
  S3Request request;
  request.method = "DELETE";
  request.bucket = location.bucket;
  request.key = location.key;
  request.query = {{"uploadId", upload_id}};
  absl::Status aborted = RetryCall(retry_, clock_, abort_context, [&]() -> absl::Status {
    absl::StatusOr<BufferedResponse> answer = Exchange(abort_context, request);
    if (!answer.ok()) return answer.status();
    // NoSuchUpload: already gone, which is what the abort wants.
    if (IsSuccess(answer->status) || answer->status == 404) return absl::OkStatus();
    return ErrorFromAnswer(location.bucket, answer->status, answer->headers, answer->body,
                           absl::StrCat("abort of the multipart upload of ", Quote(location.key)));
  });
  if (!aborted.ok() && options_.log_error) {
    options_.log_error(absl::StrCat("multipart upload ", upload_id, " of ", Quote(location.key),
                                    " in bucket ", Quote(location.bucket),
                                    " could not be aborted and holds its parts until the "
                                    "bucket's lifecycle rule removes it: ",
                                    aborted.message()));
  }
}

absl::Status S3Upstream::Download(const CallContext& context, const DownloadSpec& spec,
                                  DownloadSink& sink) {
  absl::StatusOr<Location> location = Locate(context.tenant_id, spec.key);
  if (!location.ok()) return location.status();
  S3Request request;
  request.bucket = location->bucket;
  request.key = location->key;
  AddDownloadHeaders(spec, request.headers);
  HttpRequest http = Sign(context, request, Sha256::Hex(""));
  DownloadAnswerSink answer(
      spec, sink, {std::string(kChecksumHeader), "x-amz-meta-", {std::string(kUploadMarkerHeader)}},
      [this, bucket = location->bucket](int http_status, const HttpHeaders& headers,
                                        absl::string_view body, absl::string_view what) {
        return ErrorFromAnswer(bucket, http_status, headers, body, what);
      });
  return answer.Outcome(http_.Perform(http, answer), absl::StrCat("download of ", Quote(spec.key)));
}

absl::StatusOr<ListPage> S3Upstream::List(const CallContext& context, const ListQuery& query) {
  absl::StatusOr<Location> base = Locate(context.tenant_id, "");
  if (!base.ok()) return base.status();
  // In a shared bucket the tenant's prefix is the location of the empty key.
  const std::string& tenant_prefix = base->key;
  S3Request request;
  request.bucket = base->bucket;
  request.query = {{"list-type", "2"},
                   {"encoding-type", "url"},
                   {"max-keys", absl::StrCat(std::clamp(query.max_keys, 1, kMaxListKeys))},
                   {"prefix", absl::StrCat(tenant_prefix, query.prefix)}};
  if (!query.delimiter.empty()) request.query.emplace_back("delimiter", query.delimiter);
  if (!query.continuation.empty()) {
    request.query.emplace_back("continuation-token", query.continuation);
  } else if (!query.start_after.empty()) {
    request.query.emplace_back("start-after", absl::StrCat(tenant_prefix, query.start_after));
  }
  const std::string what = absl::StrCat("list of prefix ", Quote(query.prefix));
  absl::StatusOr<BufferedResponse> answer = Exchange(context, request);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(base->bucket, answer->status, answer->headers, answer->body, what);
  }
  absl::StatusOr<ListObjectsV2Answer> listing = ParseListObjectsV2(answer->body);
  if (!listing.ok()) return listing.status();

  // Both keys and common prefixes lose the tenant's prefix, and must have had it.
  const std::string asked = absl::StrCat(tenant_prefix, query.prefix);
  auto strip = [&](std::string& key) {
    if (!absl::StartsWith(key, asked)) return false;
    key.erase(0, tenant_prefix.size());
    return true;
  };
  ListPage page;
  page.entries.reserve(listing->entries.size());
  for (ObjectEntry& entry : listing->entries) {
    if (!strip(entry.key)) {
      return absl::InternalError(
          absl::StrCat(what, ": the store listed a key outside the prefix asked for"));
    }
    if (entry.key <= query.start_after) continue;
    page.entries.push_back(std::move(entry));
  }
  for (std::string& prefix : listing->common_prefixes) {
    if (!strip(prefix)) {
      return absl::InternalError(
          absl::StrCat(what, ": the store listed a prefix outside the prefix asked for"));
    }
    // S3 reports the group a start_after falls in, or is, again: it was reported before.
    if (prefix <= query.start_after) continue;
    page.common_prefixes.push_back(std::move(prefix));
  }
  std::sort(page.common_prefixes.begin(), page.common_prefixes.end());
  page.is_truncated = listing->is_truncated;
  if (page.is_truncated) {
    page.next_continuation = std::move(listing->next_continuation_token);
    page.next_start_after = query.start_after;
    if (!page.entries.empty()) page.next_start_after = page.entries.back().key;
    if (!page.common_prefixes.empty()) {
      page.next_start_after = std::max(page.next_start_after, page.common_prefixes.back());
    }
  }
  return page;
}

absl::Status S3Upstream::Delete(const CallContext& context, const DeleteSpec& spec) {
  absl::StatusOr<Location> location = Locate(context.tenant_id, spec.key);
  if (!location.ok()) return location.status();
  const std::string what = absl::StrCat("delete of ", Quote(spec.key));
  if (!spec.if_match.empty() && !options_.store_enforces_all_conditions) {
    return absl::UnimplementedError(
        absl::StrCat(what,
                     ": the gateway does not rely on this store to enforce If-Match on a delete "
                     "(Ceph RGW 16 ignores it), and does not emulate it with a check before the "
                     "delete, which another writer could race; if the store does (AWS S3), run the "
                     "gateway with --s3_store_conditions=all"));
  }
  // Does the object exist? A GET of its first byte, not a HEAD: an error answer to a GET
  // names the error (NoSuchKey, or NoSuchBucket or a refused signature, which a HEAD's
  // bare 404 or 403 would hide). An empty object answers 416 to the range.
  S3Request request;
  request.bucket = location->bucket;
  request.key = location->key;
  request.headers.Add("Range", "bytes=0-0");
  if (!spec.if_match.empty()) request.headers.Add("If-Match", Quote(spec.if_match));
  absl::StatusOr<BufferedResponse> probe = Exchange(context, request);
  if (!probe.ok()) return probe.status();
  if (!IsSuccess(probe->status) && probe->status != 416) {
    return ErrorFromAnswer(location->bucket, probe->status, probe->headers, probe->body, what);
  }
  request.method = "DELETE";
  request.headers.Clear();
  // The delete itself carries the condition, so that a write between the two requests
  // cannot slip through.
  if (!spec.if_match.empty()) request.headers.Add("If-Match", spec.if_match);
  absl::StatusOr<BufferedResponse> answer = Exchange(context, request);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(location->bucket, answer->status, answer->headers, answer->body, what);
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredObject> S3Upstream::Copy(const CallContext& context, const CopySpec& spec) {
  absl::StatusOr<Location> source = Locate(context.tenant_id, spec.source_key);
  if (!source.ok()) return source.status();
  absl::StatusOr<Location> destination = Locate(context.tenant_id, spec.destination_key);
  if (!destination.ok()) return destination.status();
  // A source etag the store would not enforce is enforced by reading the source in ranges
  // pinned to that version, which every store honours on GET.
  if (!spec.source_if_match.empty() && !options_.store_enforces_all_conditions) {
    return StreamedCopy(*this, context, spec);
  }
  absl::StatusOr<DownloadHead> head =
      ReadHead(*this, context, spec.source_key, spec.source_if_match);
  if (!head.ok()) return head.status();
  if (head->object_size > options_.max_copy_object_bytes) {
    return StreamedCopy(*this, context, spec);
  }

  S3Request request;
  request.method = "PUT";
  request.bucket = destination->bucket;
  request.key = destination->key;
  request.headers.Add("x-amz-copy-source",
                      absl::StrCat("/", source->bucket, "/", EncodeS3KeyPath(source->key)));
  request.headers.Add("x-amz-metadata-directive", "COPY");
  // The version just read: its size and checksum are what the answer reports. Stores that
  // ignore the header (Ceph RGW 16) copy whatever version is current.
  if (!head->etag.empty()) request.headers.Add("x-amz-copy-source-if-match", Quote(head->etag));
  const std::string what =
      absl::StrCat("copy of ", Quote(spec.source_key), " to ", Quote(spec.destination_key));
  // One attempt: a copy holds nothing only this layer could replay, so RetryingUpstream
  // repeats the whole call.
  absl::StatusOr<BufferedResponse> answer = Exchange(context, request);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(destination->bucket, answer->status, answer->headers, answer->body,
                           what);
  }
  absl::StatusOr<DeferredResult> copied = ParseCopyObject(answer->body);
  if (!copied.ok()) return copied.status();
  if (copied->error.has_value()) {
    // As for CompleteMultipartUpload: an error after the 200 is handled like a 500.
    return ErrorFromAnswer(destination->bucket, 500, answer->headers, answer->body, what);
  }
  return StoredObject{spec.destination_key, head->object_size, copied->etag, head->object_sha256};
}

absl::StatusOr<BufferedResponse> S3Upstream::ProbeBucket(const CallContext& context) {
  S3Request request;
  if (!bucket_per_tenant_) {
    // A listing of no keys: the cheapest request that needs the bucket and the right to
    // read it, and whose error answer, unlike HEAD's, says what is wrong.
    request.bucket = options_.bucket;
    request.query = {{"list-type", "2"}, {"max-keys", "0"}};
  }
  absl::StatusOr<BufferedResponse> answer = Exchange(context, request);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) {
    return ErrorFromAnswer(options_.bucket, answer->status, answer->headers, answer->body,
                           bucket_per_tenant_
                               ? "listing the buckets"
                               : absl::StrCat("access to bucket ", Quote(options_.bucket)));
  }
  return answer;
}

absl::StatusOr<UpstreamServerInfo> S3Upstream::GetServerInfo(const CallContext& context) {
  absl::StatusOr<BufferedResponse> answer = ProbeBucket(context);
  if (!answer.ok()) return answer.status();
  UpstreamServerInfo info;
  info.dialect = "s3";
  info.status = "ok";
  info.version = std::string(answer->headers.Get("Server").value_or(""));
  info.capabilities = {"stat", "user_metadata",      "delimiter",
                       "copy", "conditional_upload", "resumable_upload"};
  if (options_.store_enforces_all_conditions) info.capabilities.push_back("conditional_delete");
  return info;
}

absl::Status S3Upstream::CheckLive(const CallContext& context) {
  // Unsigned: liveness is whether the endpoint answers HTTP at all, whatever it thinks of
  // the gateway's credentials.
  HttpRequest request;
  request.method = "GET";
  request.url = absl::StrCat(endpoint_.scheme, "://", endpoint_.host, "/");
  request.deadline = context.deadline;
  request.is_cancelled = context.is_cancelled;
  absl::StatusOr<BufferedResponse> answer = PerformBuffered(http_, request, kMaxS3AnswerBytes);
  if (!answer.ok()) return answer.status();
  if (answer->status >= 500) {
    return ErrorFromAnswer("", answer->status, answer->headers, answer->body, "liveness check");
  }
  return absl::OkStatus();
}

absl::Status S3Upstream::CheckReady(const CallContext& context) {
  return ProbeBucket(context).status();
}

}  // namespace objgate
