#ifndef OBJGATE_SERVER_UPSTREAM_REST_UPSTREAM_H_
#define OBJGATE_SERVER_UPSTREAM_REST_UPSTREAM_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/http/http_client.h"
#include "server/upstream/upstream.h"

namespace objgate {

// Upstream over the MinIO Enterprise REST dialect (shared/rest-api.md), one HTTP exchange
// per call and no retries: RetryingUpstream adds those. Uses the optional capabilities
// where the upstream offers them (Range, ETag, If-Match, X-Checksum-SHA256, pagination,
// chunked uploads) and works without them.
class RestUpstream : public Upstream {
 public:
  // `base_url` is scheme://host[:port][/path], e.g. "http://127.0.0.1:9000".
  static absl::StatusOr<std::unique_ptr<RestUpstream>> Create(HttpClient& http,
                                                              std::string base_url);

  absl::StatusOr<UpstreamServerInfo> GetServerInfo(const CallContext& context) override;
  absl::StatusOr<UploadResult> Upload(const CallContext& context, const UploadSpec& spec,
                                      BodySource& body) override;
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
                         std::initializer_list<std::pair<absl::string_view, absl::string_view>>
                             query) const;

  HttpClient& http_;
  const std::string base_url_;
};

// Percent-encodes everything but RFC 3986's unreserved characters, for query values.
std::string UrlEncode(absl::string_view text);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_REST_UPSTREAM_H_
