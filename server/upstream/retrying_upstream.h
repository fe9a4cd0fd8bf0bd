#ifndef OBJGATE_SERVER_UPSTREAM_RETRYING_UPSTREAM_H_
#define OBJGATE_SERVER_UPSTREAM_RETRYING_UPSTREAM_H_

#include <cstddef>

#include "common/clock.h"
#include "common/retry/backoff_policy.h"
#include "server/upstream/upstream.h"

namespace objgate {

// Wraps an Upstream with the retry policy, retrying only what is safe to repeat:
//   - GetServerInfo, List, Delete and Copy are idempotent and retried as they are. A
//     Delete whose retry finds no object counts as done: an earlier attempt deleted it.
//   - Upload is retried while its bytes can be replayed: the first `replay_buffer_bytes`
//     are kept as they stream past; a larger upload that fails is UNAVAILABLE, for the
//     caller to retry from its source. A conditional upload whose repeat is refused
//     (FAILED_PRECONDITION) may have been refused because an earlier attempt, whose answer
//     was lost, stored it: when the object now stored has the SHA-256 of the bytes sent,
//     the upload succeeded.
//   - Download is resumed: after a break mid-body the next attempt asks for the bytes from
//     the next one on (Range) of the same version (If-Match on the etag), and the caller's
//     sink sees one unbroken stream. Whether a download may resume at all is
//     CanResumeDownload's rule (common/retry/repeat_rules.h), which the client library
//     follows too; where it may not, the download fails with UNAVAILABLE rather than risk
//     wrong bytes.
//   - The multipart calls are retried as they are (a part is in memory and replaced
//     whole). A completion or abort whose repeat finds no upload asks the store whether
//     an earlier attempt completed or removed it.
//   - The health probes are not retried: they report what they see now.
// Attempts end with the caller's deadline (CallContext::deadline) and are counted in
// CallContext::stats.
class RetryingUpstream : public Upstream {
 public:
  RetryingUpstream(Upstream& inner, BackoffPolicy policy, Clock& clock, size_t replay_buffer_bytes);

  absl::StatusOr<UpstreamServerInfo> GetServerInfo(const CallContext& context) override;
  bool HashesUploads(const CallContext& context) override { return inner_.HashesUploads(context); }
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

 private:
  template <typename Attempt>
  auto Retry(const CallContext& context, Attempt&& attempt);
  // A repeated conditional upload was `refused`: it succeeded after all if the object now
  // stored is the bytes `sent` (an earlier attempt stored it and its answer was lost).
  absl::StatusOr<StoredObject> OutcomeOfRepeatedConditionalUpload(const CallContext& context,
                                                                  const UploadSpec& spec,
                                                                  absl::string_view sent,
                                                                  absl::Status refused);

  Upstream& inner_;
  const BackoffPolicy policy_;
  Clock& clock_;
  const size_t replay_buffer_bytes_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_RETRYING_UPSTREAM_H_
