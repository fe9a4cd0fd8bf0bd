#ifndef OBJGATE_TOOLS_BENCH_COUNTING_PROXY_H_
#define OBJGATE_TOOLS_BENCH_COUNTING_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace objgate::bench {

// A TCP relay on 127.0.0.1 that counts the connections it accepts, put between the
// gateway and its upstream to see how many connections the gateway opens. Each accepted
// connection gets a connection of its own to the target and two threads that copy bytes
// until either side closes. Runs until destroyed.
class CountingProxy {
 public:
  // `target_url` is "http://HOST:PORT" with HOST an IPv4 address or "localhost".
  static absl::StatusOr<std::unique_ptr<CountingProxy>> Start(const std::string& target_url);
  ~CountingProxy();

  // "http://127.0.0.1:PORT", for the gateway's --upstream.
  std::string url() const;
  int64_t accepted() const { return accepted_.load(); }

 private:
  CountingProxy(int listen_fd, int port, std::string target_host, int target_port);
  void AcceptLoop();

  const int listen_fd_;
  const int port_;
  const std::string target_host_;
  const int target_port_;
  std::atomic<int64_t> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
};

}  // namespace objgate::bench

#endif  // OBJGATE_TOOLS_BENCH_COUNTING_PROXY_H_
