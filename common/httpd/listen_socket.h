#ifndef OBJGATE_COMMON_HTTPD_LISTEN_SOCKET_H_
#define OBJGATE_COMMON_HTTPD_LISTEN_SOCKET_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace objgate::httpd {

// A listening TCP socket on `host` (a numeric address or a name that resolves to one) and
// `port` (0 picks a free one), with SO_REUSEADDR, close-on-exec. For every server of the
// project that owns its sockets: the HTTP server here and the fault proxy.
absl::StatusOr<int> ListenTcp(const std::string& host, uint16_t port);

// The address and port a socket is bound to: the port chosen when 0 was asked.
std::pair<std::string, uint16_t> BoundAddress(int fd);

}  // namespace objgate::httpd

#endif  // OBJGATE_COMMON_HTTPD_LISTEN_SOCKET_H_
