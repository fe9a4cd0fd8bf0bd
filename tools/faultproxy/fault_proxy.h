#ifndef OBJGATE_TOOLS_FAULTPROXY_FAULT_PROXY_H_
#define OBJGATE_TOOLS_FAULTPROXY_FAULT_PROXY_H_

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/httpd/http_message.h"
#include "common/httpd/http_wire.h"
#include "tools/faultproxy/fault_rules.h"
#include "tools/faultproxy/request_log.h"
#include "tools/faultproxy/socket_io.h"

namespace objgate::faultproxy {

struct FaultProxyOptions {
  Endpoint listen{"127.0.0.1", 0};
  Endpoint upstream;
  absl::Duration connect_timeout = absl::Seconds(5);
  // How long the upstream may stay silent inside an exchange before the proxy gives up on
  // it and answers 502.
  absl::Duration upstream_io_timeout = absl::Seconds(60);
};

// An HTTP/1.1 reverse proxy that injects scripted faults through real sockets, for
// cross-process tests of a client's failure handling. Each request is matched against the
// FaultRules; without a match it is relayed faithfully: method, target, end-to-end
// headers, and both bodies streamed in their own framing (Content-Length or chunked).
// Keep-alive toward the client works as usual; each forwarded request gets a connection
// of its own to the upstream, so that a fault never leaves a half-used upstream connection.
//
// The control API shares the listener under /__faults and is never forwarded:
//   POST   /__faults/rules   add rules (ParseFaultRules)          -> {"added": N}
//   DELETE /__faults/rules   remove every rule
//   GET    /__faults/log     the RequestLog; ?settle_ms=N waits up to N ms for exchanges
//                            in progress to end first
//   DELETE /__faults/log     forget the requests seen so far
class FaultProxy {
 public:
  static absl::StatusOr<std::unique_ptr<FaultProxy>> Start(const FaultProxyOptions& options);

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  ~FaultProxy();  // Stops.

  const Endpoint& endpoint() const { return endpoint_; }

  // Stops accepting, cuts every connection (stalled ones included) and joins the threads.
  void Stop();

 private:
  class Exchange;

  FaultProxy(const FaultProxyOptions& options, int listen_fd);

  void AcceptLoop();
  void Serve(uint64_t id, int client_fd);
  // Each answers one request and returns whether the connection may carry another.
  bool ServeControl(int client_fd, const httpd::RequestHead& request,
                    httpd::BodyDecoder& body);
  bool ServeProxied(uint64_t id, int client_fd, const httpd::RequestHead& request,
                    absl::string_view target, httpd::BodyDecoder& body);

  // The connection's upstream socket, registered so that Stop can cut it.
  absl::StatusOr<int> ConnectUpstream(uint64_t id);
  void CloseUpstream(uint64_t id, int fd);
  void JoinFinishedThreads() ABSL_LOCKS_EXCLUDED(mu_);

  const FaultProxyOptions options_;
  const int listen_fd_;
  static Endpoint BoundEndpoint(int fd);

  const Endpoint endpoint_;
  FaultRules rules_;
  RequestLog log_;
  std::thread accept_thread_;

  struct Connection {
    int client_fd = -1;
    int upstream_fd = -1;
    std::thread thread;
  };
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<uint64_t, Connection> connections_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);
};

}  // namespace objgate::faultproxy

#endif  // OBJGATE_TOOLS_FAULTPROXY_FAULT_PROXY_H_
