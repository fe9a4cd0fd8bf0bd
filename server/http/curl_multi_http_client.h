#ifndef OBJGATE_SERVER_HTTP_CURL_MULTI_HTTP_CLIENT_H_
#define OBJGATE_SERVER_HTTP_CURL_MULTI_HTTP_CLIENT_H_

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "server/http/curl_transfer.h"
#include "server/http/http_client.h"

namespace objgate {

// AsyncHttpClient on libcurl's multi interface: one thread runs every exchange, sleeping
// in a single curl_multi_poll until a socket of any of them is ready, so an exchange in
// flight holds no thread and a burst of answers is handled in one wake-up. Connections
// are kept in the multi handle's cache, at most `max_connections` of them; exchanges
// beyond wait inside libcurl for one. Set up and judged by the same CurlTransfer as the
// blocking CurlHttpClient, so both send the same requests and map errors alike.
//
// The gateway does not use it yet. Its upstream layers are written as blocking calls on
// the BlockingExecutor's threads; serving them from here means completion-driven upstreams.
// The bench measures what that would buy (tools/bench/upstream_floor, the floor_multi and
// floor_thread rows, README "Performance"): a sixth of the CPU of a small call on average
// at concurrency 16 and 64, nothing at concurrency 1.
class CurlMultiHttpClient : public AsyncHttpClient {
 public:
  static absl::StatusOr<std::unique_ptr<CurlMultiHttpClient>> Create(CurlHttpClientOptions options);
  // Ends every exchange still running or waiting to start with CANCELLED (each sink's
  // OnDone runs, on the client's thread), then joins it. Once it has begun, only those
  // OnDone calls may Start another exchange (which is cancelled in turn).
  ~CurlMultiHttpClient() override;

  void Start(HttpRequest request, AsyncResponseSink& sink) override;

  struct Stats {
    // TCP connections opened to the upstream since start.
    int64_t connections_opened = 0;
    // Exchanges started and not yet done.
    int64_t in_flight = 0;
  };
  Stats GetStats() const;

 private:
  struct Exchange;

  CurlMultiHttpClient(CurlHttpClientOptions options, CURLM* multi);

  // The client's thread: starts what Start queued, runs libcurl, ends what finished.
  void Loop();
  void Begin(std::unique_ptr<Exchange> exchange);
  void EndFinished();
  // Takes a running exchange out of libcurl and finishes it.
  void End(CURL* curl, absl::Status status);
  // Counts the exchange done and tells its sink, after letting go of it.
  void Finish(std::unique_ptr<Exchange> exchange, int64_t new_connections, absl::Status status);

  const CurlHttpClientOptions options_;
  CURLM* const multi_;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Exchange>> queued_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_
  int64_t connections_opened_ = 0;                 // guarded by mu_
  int64_t in_flight_ = 0;                          // guarded by mu_

  // The client's thread only.
  absl::flat_hash_map<CURL*, std::unique_ptr<Exchange>> running_;
  std::vector<CURL*> idle_handles_;

  std::thread thread_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_HTTP_CURL_MULTI_HTTP_CLIENT_H_
