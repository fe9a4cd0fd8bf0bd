#include "tools/bench/counting_proxy.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace objgate::bench {
namespace {

absl::Status ErrnoError(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int ConnectTo(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), absl::StrCat(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

// Copies `from` to `to` until end of file or an error, then ends the write side of `to`.
void Pump(int from, int to) {
  char buffer[256 * 1024];
  while (true) {
    const ssize_t n = read(from, buffer, sizeof(buffer));
    if (n <= 0) break;
    for (ssize_t written = 0; written < n;) {
      const ssize_t w = write(to, buffer + written, n - written);
      if (w <= 0) {
        shutdown(to, SHUT_WR);
        return;
      }
      written += w;
    }
  }
  shutdown(to, SHUT_WR);
}

// Relays one connection both ways; owns both descriptors.
void RelayBothWays(int client_fd, int upstream_fd) {
  const int one = 1;
  setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(upstream_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::thread upstream_to_client(Pump, upstream_fd, client_fd);
  Pump(client_fd, upstream_fd);
  upstream_to_client.join();
  close(client_fd);
  close(upstream_fd);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CountingProxy>> CountingProxy::Start(
    const std::string& target_url) {
  absl::string_view address = target_url;
  absl::ConsumePrefix(&address, "http://");
  absl::ConsumeSuffix(&address, "/");
  const size_t colon = address.rfind(':');
  int target_port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &target_port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the proxy needs an http://HOST:PORT upstream, not ", target_url));
  }

  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(bound);
  if (bind(fd, reinterpret_cast<sockaddr*>(&bound), sizeof(bound)) != 0 || listen(fd, 256) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    absl::Status error = ErrnoError("proxy listen");
    close(fd);
    return error;
  }
  std::unique_ptr<CountingProxy> proxy(new CountingProxy(
      fd, ntohs(bound.sin_port), std::string(address.substr(0, colon)), target_port));
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->AcceptLoop(); });
  return proxy;
}

CountingProxy::CountingProxy(int listen_fd, int port, std::string target_host, int target_port)
    : listen_fd_(listen_fd),
      port_(port),
      target_host_(std::move(target_host)),
      target_port_(target_port) {}

CountingProxy::~CountingProxy() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  acceptor_.join();
  close(listen_fd_);
}

std::string CountingProxy::url() const { return absl::StrCat("http://127.0.0.1:", port_); }

void CountingProxy::AcceptLoop() {
  while (!stopping_) {
    const int client_fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client_fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    ++accepted_;
    const int upstream_fd = ConnectTo(target_host_, target_port_);
    if (upstream_fd < 0) {
      close(client_fd);
      continue;
    }
    // Detached: a relay touches only its own descriptors and ends when either side closes.
    std::thread(RelayBothWays, client_fd, upstream_fd).detach();
  }
}

}  // namespace objgate::bench
