#ifndef OBJGATE_SERVER_UPSTREAM_REST_UPSTREAM_H_
#define OBJGATE_SERVER_UPSTREAM_REST_UPSTREAM_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "server/http/http_client.h"
#include "server/upstream/rest_answers.h"
#include "server/upstream/upstream.h"

namespace objgate {

// Upstream over the MinIO Enterprise REST dialect (server/upstream/rest_dialect.md), one
// HTTP exchange per call and no retries: RetryingUpstream adds those. Uses the optional
// capabilities where the store offers them (Range, ETag, If-Match, X-Checksum-SHA256, list
// pagination, chunked uploads) and works without them: a store that ignores Range is read
// from the start and the unwanted bytes dropped; a store that does not paginate its
// listings is asked for the whole listing, which List then answers as one page. Listings
// with a delimiter, which the dialect lacks, are folded by the gateway
// (delimiter_grouping.h), and copies are streamed through it (streamed_copy.h).
// Conditional writes (If-None-Match, If-Match on upload and delete) are sent only to a
// store that declares "conditional_writes" in its server info, which it then enforces in
// the write itself; to any other store a conditional write is refused (UNIMPLEMENTED),
// since a store that ignored the header would silently overwrite. Multipart uploads, which
// resumable uploads are built on, likewise need the store's "multipart_uploads".
class RestUpstream : public Upstream {
 public:
  // `base_url` is scheme://host[:port][/path], e.g. "http://127.0.0.1:9000".
  static absl::StatusOr<std::unique_ptr<RestUpstream>> Create(HttpClient& http,
                                                              std::string base_url,
                                                              Clock& clock = RealClock::Instance());

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
  // Where the store declares "upload_checksums" (rest_dialect.md).
  bool HashesUploads(const CallContext& context) override;
  absl::Status CheckLive(const CallContext& context) override;
  absl::Status CheckReady(const CallContext& context) override;

 private:
  RestUpstream(HttpClient& http, std::string base_url, Clock& clock)
      : http_(http), base_url_(std::move(base_url)), clock_(clock) {}

  // The store's GET / answer, with its own capabilities as it named them.
  absl::StatusOr<UpstreamServerInfo> FetchServerInfo(const CallContext& context);
  // OK when the store declares `capability` ("conditional_writes", "multipart_uploads");
  // UNIMPLEMENTED, naming `what` and `consequence`, when it does not. A yes is remembered
  // for a minute; a no is asked again next time.
  absl::Status RequireCapability(const CallContext& context, absl::string_view capability,
                                 absl::string_view what, absl::string_view consequence);
  absl::Status RequireConditionalWrites(const CallContext& context, absl::string_view what);
  // Whether the store declares `capability` in GET /. A yes is remembered for a minute, a
  // no too with `remember_no`.
  absl::StatusOr<bool> Declares(const CallContext& context, absl::string_view capability,
                                bool remember_no);
  absl::Status RequireMultipartUploads(const CallContext& context, absl::string_view what);

  HttpRequest NewRequest(
      const CallContext& context, absl::string_view method, absl::string_view path,
      absl::Span<const std::pair<absl::string_view, absl::string_view>> query) const;
  // A page of keys, without delimiter grouping.
  absl::StatusOr<ListPage> ListKeys(const CallContext& context, const ListQuery& query);
  // One GET /list; no `max_keys` asks for the store's whole listing.
  absl::StatusOr<ListAnswer> FetchList(const CallContext& context, const ListQuery& query,
                                       std::optional<int> max_keys);

  HttpClient& http_;
  const std::string base_url_;
  Clock& clock_;

  absl::Mutex mu_;
  // What the store said of each capability, and until when that is taken as given.
  struct Declared {
    bool declared = false;
    absl::Time until;
  };
  absl::flat_hash_map<std::string, Declared> declared_ ABSL_GUARDED_BY(mu_);
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_REST_UPSTREAM_H_
