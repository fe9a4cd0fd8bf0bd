#include "tools/faultproxy/socket_io.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace objgate::faultproxy {
namespace {

absl::Status ErrnoStatus(absl::string_view what) {
  const int error = errno;
  if (error == EAGAIN || error == EWOULDBLOCK) {
    return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
  }
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(error)));
}

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

absl::StatusOr<std::unique_ptr<addrinfo, AddrInfoDeleter>> Resolve(const Endpoint& endpoint,
                                                                   int flags) {
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int resolved =
      getaddrinfo(endpoint.host.c_str(), std::to_string(endpoint.port).c_str(), &hints, &found);
  if (resolved != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve ", endpoint.host, ": ", gai_strerror(resolved)));
  }
  return std::unique_ptr<addrinfo, AddrInfoDeleter>(found);
}

// Waits for a non-blocking connect to finish.
absl::Status FinishConnect(int fd, absl::Duration timeout) {
  pollfd waiting = {fd, POLLOUT, 0};
  const int ready = poll(&waiting, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (ready == 0) return absl::UnavailableError("connect: timed out");
  if (ready < 0) return ErrnoStatus("connect");
  int error = 0;
  socklen_t length = sizeof(error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(error)));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Endpoint> ParseHostPort(absl::string_view text) {
  Endpoint endpoint;
  absl::string_view port_text;
  if (absl::ConsumePrefix(&text, "[")) {
    const size_t close = text.find("]:");
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("expected [IPV6]:PORT");
    }
    endpoint.host = std::string(text.substr(0, close));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(absl::StrCat("expected HOST:PORT, got \"", text, "\""));
    }
    endpoint.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port \"", port_text, "\""));
  }
  endpoint.port = static_cast<uint16_t>(port);
  return endpoint;
}

absl::StatusOr<Endpoint> ParseHttpUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat("expected http://HOST:PORT, got \"", url, "\""));
  }
  absl::ConsumeSuffix(&rest, "/");
  if (absl::StrContains(rest, '/')) {
    return absl::InvalidArgumentError(absl::StrCat("the URL may not have a path: \"", url, "\""));
  }
  return ParseHostPort(rest);
}

std::string FormatHostPort(const Endpoint& endpoint) {
  if (absl::StrContains(endpoint.host, ':')) {
    return absl::StrCat("[", endpoint.host, "]:", endpoint.port);
  }
  return absl::StrCat(endpoint.host, ":", endpoint.port);
}

absl::StatusOr<int> Connect(const Endpoint& endpoint, absl::Duration timeout) {
  auto addresses = Resolve(endpoint, 0);
  if (!addresses.ok()) return addresses.status();
  const addrinfo& address = **addresses;
  const int fd = socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        address.ai_protocol);
  if (fd < 0) return ErrnoStatus("socket");
  absl::Status status;
  if (connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    status = errno == EINPROGRESS ? FinishConnect(fd, timeout) : ErrnoStatus("connect");
  }
  if (!status.ok()) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot reach ", FormatHostPort(endpoint), ": ", status.message()));
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  return fd;
}

void SetIoTimeout(int fd, absl::Duration timeout) {
  const timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

absl::Status SendAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("send");
    }
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReceiveSome(int fd, char* buffer, size_t capacity) {
  while (true) {
    const ssize_t got = recv(fd, buffer, capacity, 0);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return ErrnoStatus("recv");
  }
}

void WaitForSendQueueToDrain(int fd, absl::Duration timeout) {
  // The kernel offers no event for an empty send queue; poll it briefly.
  const absl::Time deadline = absl::Now() + timeout;
  int queued = 0;
  while (ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
}

void ResetOnClose(int fd) {
  const linger reset = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
}

bool WaitForPeerToClose(int fd, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    // POLLRDHUP and not POLLIN: a FIN or a reset wakes us, unread request bytes do not.
    pollfd waiting = {fd, POLLRDHUP, 0};
    const int ready = poll(
        &waiting, 1,
        left == absl::InfiniteDuration()
            ? -1
            : static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;
  }
}

}  // namespace objgate::faultproxy
