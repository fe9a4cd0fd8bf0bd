#ifndef OBJGATE_SERVER_UPSTREAM_REST_UPSTREAM_H_
#define OBJGATE_SERVER_UPSTREAM_REST_UPSTREAM_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
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
// (delimiter_grouping.h).
class RestUpstream : public Upstream {
 public:
  // `base_url` is scheme://host[:port][/path], e.g. "http://127.0.0.1:9000".
  static absl::StatusOr<std::unique_ptr<RestUpstream>> Create(HttpClient& http,
                                                              std::string base_url);

  absl::StatusOr<UpstreamServerInfo> GetServerInfo(const CallContext& context) override;
  absl::StatusOr<StoredObject> Upload(const CallContext& context, const UploadSpec& spec,
                                      ByteSource& body) override;
  absl::Status Download(const CallContext& context, const DownloadSpec& spec,
                        DownloadSink& sink) override;
  absl::StatusOr<ListPage> List(const CallContext& context, const ListQuery& query) override;
  absl::Status Delete(const CallContext& context, absl::string_view key) override;
  absl::Status CheckLive(const CallContext& context) override;
  absl::Status CheckReady(const CallContext& context) override;

 private:
  RestUpstream(HttpClient& http, std::string base_url)
      : http_(http), base_url_(std::move(base_url)) {}

  HttpRequest NewRequest(const CallContext& context, absl::string_view method,
                         absl::string_view path,
                         absl::Span<const std::pair<absl::string_view, absl::string_view>> query) const;
  // A page of keys, without delimiter grouping.
  absl::StatusOr<ListPage> ListKeys(const CallContext& context, const ListQuery& query);
  // One GET /list; no `max_keys` asks for the store's whole listing.
  absl::StatusOr<ListAnswer> FetchList(const CallContext& context,
                                              const ListQuery& query,
                                              std::optional<int> max_keys);

  HttpClient& http_;
  const std::string base_url_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_REST_UPSTREAM_H_
