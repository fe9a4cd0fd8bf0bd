#ifndef OBJGATE_SERVER_HTTP_CURL_HTTP_CLIENT_H_
#define OBJGATE_SERVER_HTTP_CURL_HTTP_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/http/curl_handle_pool.h"
#include "server/http/http_client.h"

namespace objgate {

struct CurlHttpClientOptions {
  // Connections to the upstream at most; requests beyond wait for a free one.
  size_t max_connections = 64;
  absl::Duration connect_timeout = absl::Seconds(5);
  // Offer HTTP/2 (ALPN on https, h2c upgrade on http); HTTP/1.1 otherwise.
  bool http2 = false;
  // TLS: verify the upstream's certificate (and host name) against `ca_bundle`, or the
  // system's store when empty. Turning verification off is for tests only.
  bool verify_tls = true;
  std::string ca_bundle;
  // libcurl's receive and send buffers: the most a single callback sees at once.
  size_t receive_buffer_bytes = 256 * 1024;
  size_t send_buffer_bytes = 256 * 1024;
  std::string user_agent = "objgate";
};

// HttpClient on libcurl's easy interface, one blocking transfer per calling thread, with
// connections reused from a CurlHandlePool. Bodies stream through libcurl's read and write
// callbacks straight from the ByteSource and into the ResponseSink: no body is ever held
// whole, and because the callbacks block, backpressure reaches the socket.
class CurlHttpClient : public HttpClient {
 public:
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options);

  absl::Status Perform(const HttpRequest& request, ResponseSink& sink) override;

  struct Stats {
    CurlHandlePool::Stats pool;
    // TCP connections opened to the upstream since start.
    int64_t connections_opened = 0;
  };
  Stats GetStats() const;

 private:
  explicit CurlHttpClient(CurlHttpClientOptions options);

  const CurlHttpClientOptions options_;
  CurlHandlePool pool_;
  std::atomic<int64_t> connections_opened_{0};
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_HTTP_CURL_HTTP_CLIENT_H_
