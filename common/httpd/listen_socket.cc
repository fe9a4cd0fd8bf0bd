#include "common/httpd/listen_socket.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace objgate::httpd {

absl::StatusOr<int> ListenTcp(const std::string& host, uint16_t port) {
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* addresses = nullptr;
  const int resolved =
      getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addresses);
  if (resolved != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve listen host ", host, ": ", gai_strerror(resolved)));
  }
  const addrinfo& address = *addresses;
  const int fd = socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC,
                        address.ai_protocol);
  absl::Status status;
  if (fd < 0) {
    status = absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  } else {
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, address.ai_addr, address.ai_addrlen) != 0) {
      status = absl::UnavailableError(absl::StrCat("cannot bind ", host, ":", port, ": ",
                                                   std::strerror(errno)));
    } else if (listen(fd, SOMAXCONN) != 0) {
      status = absl::UnavailableError(absl::StrCat("listen: ", std::strerror(errno)));
    }
  }
  freeaddrinfo(addresses);
  if (!status.ok()) {
    if (fd >= 0) close(fd);
    return status;
  }
  return fd;
}

std::pair<std::string, uint16_t> BoundAddress(int fd) {
  sockaddr_storage address = {};
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    return {text, ntohs(v6.sin6_port)};
  }
  const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
  inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
  return {text, ntohs(v4.sin_port)};
}

}  // namespace objgate::httpd
