#ifndef OBJGATE_SERVER_HTTP_CURL_HTTP_CLIENT_H_
#define OBJGATE_SERVER_HTTP_CURL_HTTP_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/http/curl_handle_pool.h"
#include "server/http/curl_transfer.h"
#include "server/http/http_client.h"

namespace objgate {

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
