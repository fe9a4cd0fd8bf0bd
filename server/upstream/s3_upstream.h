#ifndef OBJGATE_SERVER_UPSTREAM_S3_UPSTREAM_H_
#define OBJGATE_SERVER_UPSTREAM_S3_UPSTREAM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/retry/backoff_policy.h"
#include "server/http/http_client.h"
#include "server/upstream/aws_credentials.h"
#include "server/upstream/s3_answers.h"
#include "server/upstream/s3_request.h"
#include "server/upstream/upstream.h"

namespace objgate {

struct S3UpstreamOptions {
  // scheme://host[:port] of the S3 endpoint, http or https.
  std::string endpoint;
  // The bucket every tenant's objects live in, each under the key prefix "TENANT/"; or,
  // when it contains "{tenant}", the template of one bucket per tenant
  // ("objgate-{tenant}"), whose keys then carry no prefix.
  std::string bucket;
  std::string region = "us-east-1";
  // https://BUCKET.host/KEY instead of https://host/BUCKET/KEY.
  bool virtual_host_addressing = false;
  // Uploads larger than this, or of unknown size that turn out larger, go up in parts of
  // this size (multipart upload); smaller ones in one PutObject. Each upload in flight
  // holds one part in memory. At least 5 MiB, S3's smallest part.
  int64_t part_bytes = 8 << 20;
  // The store enforces If-None-Match and If-Match on CompleteMultipartUpload, If-Match on
  // DeleteObject and x-amz-copy-source-if-match on CopyObject (AWS S3, MinIO). Without
  // it only PutObject's, which every S3 store honours (Ceph RGW 16 honours no other), are
  // relied on: conditional uploads larger than a part and conditional deletes are refused,
  // and copies with a source etag are streamed through the gateway.
  bool store_enforces_all_conditions = false;
  // Sources larger than this are copied through the gateway; up to it, by the store's
  // CopyObject, whose limit is 5 GiB.
  int64_t max_copy_object_bytes = int64_t{5} << 30;
  // Where errors that the operator must fix (wrong credentials, a missing bucket, a
  // skewed clock) are reported, at most once a minute per kind; null for nowhere.
  std::function<void(absl::string_view message)> log_error;
};

// S3's smallest part but the last, and its largest.
inline constexpr int64_t kMinS3PartBytes = int64_t{5} << 20;
inline constexpr int64_t kMaxS3PartBytes = int64_t{5} << 30;

// INVALID_ARGUMENT naming the option (by the gateway's flag) that is not valid.
absl::Status ValidateS3UpstreamOptions(const S3UpstreamOptions& options);

// Upstream over S3 (AWS S3, MinIO, Ceph RGW), every request signed with SigV4 and its
// payload's SHA-256, so that the store verifies every byte it receives.
//   - Tenants: each tenant's keys live under "TENANT/" in the bucket (or in a bucket of
//     their own, see S3UpstreamOptions::bucket); a key is never interpreted as a path,
//     so no key reaches outside its tenant's prefix, and listings show keys without it.
//   - Upload: an object that fits in a part is one PutObject; a larger one a multipart
//     upload whose parts are retried from memory, completed only once the body source
//     ended cleanly, and aborted on any failure, so that nothing incomplete becomes
//     visible and no parts are left behind. The declared SHA-256 (or, for one PutObject,
//     the SHA-256 of the bytes) is stored as user metadata "objgate-sha256", which
//     Download declares as the object's checksum.
//   - Delete: S3 answers 204 for a key that does not exist; a GET of the object's first
//     byte before the DELETE keeps the API's NOT_FOUND for a missing key.
//   - Copy: CopyObject (metadata and stored checksum copied with the bytes) for sources
//     up to S3UpstreamOptions::max_copy_object_bytes; larger ones, and copies whose source
//     etag the store would not enforce, are streamed through the gateway.
//   - Conditional writes go to the store as If-None-Match and If-Match on the write itself
//     (see S3UpstreamOptions::store_enforces_all_conditions for which writes).
//   - Errors: S3's error codes go through the one status table (status_mapping.h).
// Retries of whole calls are RetryingUpstream's; the parts of an upload, which only this
// layer holds, are retried here under `retry`.
class S3Upstream : public Upstream {
 public:
  // INVALID_ARGUMENT when `options` are not valid (ValidateS3UpstreamOptions).
  static absl::StatusOr<std::unique_ptr<S3Upstream>> Create(HttpClient& http,
                                                            AwsCredentialsProvider& credentials,
                                                            BackoffPolicy retry, Clock& clock,
                                                            S3UpstreamOptions options);

  absl::StatusOr<UpstreamServerInfo> GetServerInfo(const CallContext& context) override;
  absl::StatusOr<StoredObject> Upload(const CallContext& context, const UploadSpec& spec,
                                      ByteSource& body) override;
  absl::Status Download(const CallContext& context, const DownloadSpec& spec,
                        DownloadSink& sink) override;
  absl::StatusOr<ListPage> List(const CallContext& context, const ListQuery& query) override;
  absl::Status Delete(const CallContext& context, const DeleteSpec& spec) override;
  absl::StatusOr<StoredObject> Copy(const CallContext& context, const CopySpec& spec) override;
  absl::StatusOr<std::string> CreateMultipartUpload(const CallContext& context,
                                                    const UploadSpec& spec) override;
  absl::StatusOr<UploadedPart> UploadPart(const CallContext& context, const std::string& key,
                                          const std::string& upload_id, int number,
                                          absl::string_view bytes) override;
  absl::StatusOr<MultipartUploadState> ListParts(const CallContext& context, const std::string& key,
                                                 const std::string& upload_id) override;
  absl::StatusOr<StoredObject> CompleteMultipartUpload(
      const CallContext& context, const UploadSpec& spec, const std::string& upload_id,
      const std::vector<UploadedPart>& parts) override;
  absl::Status AbortMultipartUpload(const CallContext& context, const std::string& key,
                                    const std::string& upload_id) override;
  absl::Status CheckLive(const CallContext& context) override;
  absl::Status CheckReady(const CallContext& context) override;

  // Where a tenant's object lives: its bucket and its key there.
  struct Location {
    std::string bucket;
    std::string key;
  };
  // INVALID_ARGUMENT when the tenant cannot name a bucket under the bucket template.
  absl::StatusOr<Location> Locate(absl::string_view tenant_id, absl::string_view key) const;

 private:
  S3Upstream(HttpClient& http, AwsCredentialsProvider& credentials, BackoffPolicy retry,
             Clock& clock, S3UpstreamOptions options, S3Endpoint endpoint);

  // The signed HTTP request, bound to the call's deadline and cancellation;
  // `payload_sha256` is the hex SHA-256 of the body to be sent.
  HttpRequest Sign(const CallContext& context, const S3Request& request,
                   absl::string_view payload_sha256);
  // Sends a request with a body held in memory (or none) and collects the answer.
  // `body_sha256` is the body's hex SHA-256 when the caller has it already (a part sent
  // again), else it is computed here.
  absl::StatusOr<BufferedResponse> Exchange(const CallContext& context, const S3Request& request,
                                            absl::string_view body = {},
                                            absl::string_view body_sha256 = {});
  // The status for an error answer, with what the operator must fix when it is the
  // gateway's configuration that is wrong.
  // `bucket` is the one the request went to, for that message.
  absl::Status ErrorFromAnswer(absl::string_view bucket, int http_status,
                               const HttpHeaders& headers, absl::string_view body,
                               absl::string_view what);
  // A bucket request that succeeds only when the bucket (or, with a bucket template, the
  // endpoint) accepts the gateway's credentials.
  absl::StatusOr<BufferedResponse> ProbeBucket(const CallContext& context);

  absl::StatusOr<StoredObject> PutObject(const CallContext& context, const Location& location,
                                         const UploadSpec& spec, absl::string_view bytes);
  // Sends `part` (the first, already read) and the rest of `parts` as a multipart upload,
  // reusing `part`'s buffer for each.
  absl::StatusOr<StoredObject> MultipartUpload(const CallContext& context, const Location& location,
                                               const UploadSpec& spec, class PartReader& parts,
                                               std::string& part);
  // One CreateMultipartUpload request for an object described by `headers`: S3's upload id.
  absl::StatusOr<std::string> StartUpload(const CallContext& context, const Location& location,
                                          HttpHeaders headers, absl::string_view what);
  // One UploadPart request; the part's ETag.
  absl::StatusOr<std::string> PutPart(const CallContext& context, const Location& location,
                                      const std::string& upload_id, int number,
                                      absl::string_view bytes, absl::string_view sha256,
                                      absl::string_view what);
  // CompleteMultipartUpload, retried, with `spec`'s conditions.
  absl::StatusOr<StoredObject> Complete(const CallContext& context, const Location& location,
                                        const UploadSpec& spec, const std::string& upload_id,
                                        const std::vector<UploadedPart>& parts,
                                        absl::string_view what);
  absl::StatusOr<BufferedResponse> HeadObject(const CallContext& context, const Location& location);
  // INVALID_ARGUMENT for user metadata under a name the gateway keeps for itself.
  absl::Status CheckReservedMetadata(const UploadSpec& spec) const;
  // UNIMPLEMENTED when `spec` has conditions this store is not relied on to enforce at a
  // multipart completion.
  absl::Status RequireEnforcedConditions(const UploadSpec& spec, absl::string_view what) const;
  // The stored object's ETag (HEAD); NOT_FOUND when it has none, or when `sha256` is
  // given and the object's stored SHA-256 is another.
  absl::StatusOr<std::string> EtagOf(const CallContext& context, const Location& location,
                                     absl::string_view sha256 = {});
  // The object's ETag when a completion whose answer was lost did complete the upload of
  // `parts`; otherwise `not_found`.
  absl::StatusOr<std::string> EtagIfCompleted(const CallContext& context, const Location& location,
                                              const std::vector<UploadedPart>& parts,
                                              absl::Status not_found);
  // Whether the object at `location` is the one whose SHA-256 is `sha256`, with its ETag:
  // what a repeated conditional write that was refused left there.
  absl::StatusOr<std::string> EtagIfStored(const CallContext& context, const Location& location,
                                           absl::string_view sha256, absl::Status refused);
  // The headers that describe a new object: content type and user metadata.
  HttpHeaders ObjectHeaders(const UploadSpec& spec, absl::string_view stored_sha256) const;
  // Aborts an upload that failed, on its own deadline; logs what it could not abort.
  void AbortAfterFailure(const CallContext& context, const Location& location,
                         const std::string& upload_id);
  void LogOperatorError(absl::string_view code, absl::string_view message);

  HttpClient& http_;
  AwsCredentialsProvider& credentials_;
  const BackoffPolicy retry_;
  Clock& clock_;
  const S3UpstreamOptions options_;
  const S3Endpoint endpoint_;
  const bool bucket_per_tenant_;

  absl::Mutex log_mu_;
  absl::flat_hash_map<std::string, absl::Time> last_logged_ ABSL_GUARDED_BY(log_mu_);
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_S3_UPSTREAM_H_
