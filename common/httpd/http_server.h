#ifndef OBJGATE_COMMON_HTTPD_HTTP_SERVER_H_
#define OBJGATE_COMMON_HTTPD_HTTP_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/httpd/http_message.h"

namespace objgate::httpd {

struct HttpServerOptions {
  // A numeric address or a name that resolves to one; port 0 picks a free port.
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // Connections served at once. Further clients wait in the kernel's accept queue.
  int max_connections = 256;
  // Request line plus headers; a larger head is answered with 431.
  size_t max_head_bytes = 64 * 1024;
  // How long a connection may stay silent, between requests or inside one, and how long
  // a send may stall, before the connection is dropped.
  absl::Duration io_timeout = absl::Seconds(60);
  // How long Stop() lets requests in progress finish before cutting them off.
  absl::Duration shutdown_grace = absl::Seconds(10);
};

// An HTTP/1.1 server on POSIX sockets: one thread per connection, keep-alive, bodies
// streamed in both directions (Content-Length or chunked), "Expect: 100-continue".
//
//   auto server = HttpServer::Start(options, [](const RequestHead& request,
//                                               BodyReader& body, ResponseWriter& response) {
//     response.Send(200, {{"Content-Type", "text/plain"}}, "hello");
//   });
//   std::cout << (*server)->port();
//
// Pipelined requests are served one after another, not in parallel.
class HttpServer {
 public:
  // Binds, listens and starts accepting in the background.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           HttpHandler handler);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // Stops.

  // The bound address, e.g. "127.0.0.1" or "::1", and port.
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:9000", "http://[::1]:9000".
  std::string url() const;

  // Stops accepting, closes idle connections, lets requests in progress finish within
  // the grace period, then closes the rest and joins every thread. Idempotent.
  void Stop();

 private:
  struct Connection {
    int fd = -1;
    bool busy = false;
    std::thread thread;
  };

  HttpServer(const HttpServerOptions& options, HttpHandler handler, int listen_fd,
             std::string host, uint16_t port);

  void AcceptLoop();
  void Serve(uint64_t id, int fd);
  // Marks a connection as between requests (false) or inside one (true). Returns false
  // when the server is stopping and the connection should close instead.
  bool SetBusy(uint64_t id, bool busy);
  void JoinFinishedThreads() ABSL_LOCKS_EXCLUDED(mu_);

  const HttpServerOptions options_;
  const HttpHandler handler_;
  const int listen_fd_;
  const std::string host_;
  const uint16_t port_;
  std::thread accept_thread_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<uint64_t, Connection> connections_ ABSL_GUARDED_BY(mu_);
  // Threads whose connection has closed, waiting to be joined.
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);
};

// Splits "host:port" or "[v6]:port" into `options`. False if `text` is neither.
bool ParseListenAddress(absl::string_view text, HttpServerOptions& options);

}  // namespace objgate::httpd

#endif  // OBJGATE_COMMON_HTTPD_HTTP_SERVER_H_
