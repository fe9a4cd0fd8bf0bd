#ifndef OBJGATE_TOOLS_FAULTPROXY_SOCKET_IO_H_
#define OBJGATE_TOOLS_FAULTPROXY_SOCKET_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace objgate::faultproxy {

// Blocking TCP socket calls for the proxy, which needs more control over its connections
// than an HTTP library gives: where a reset or a clean close happens, and whether the peer
// is still there.

struct Endpoint {
  std::string host;
  uint16_t port = 0;
};

// "127.0.0.1:8080", "[::1]:0", "localhost:9000".
absl::StatusOr<Endpoint> ParseHostPort(absl::string_view text);
// "http://127.0.0.1:8080" with an optional trailing "/"; no path, no https.
absl::StatusOr<Endpoint> ParseHttpUrl(absl::string_view url);
// "127.0.0.1:8080", or "[::1]:8080" for an IPv6 address.
std::string FormatHostPort(const Endpoint& endpoint);

// A connected socket with TCP_NODELAY, or UNAVAILABLE.
absl::StatusOr<int> Connect(const Endpoint& endpoint, absl::Duration timeout);

// Limits how long a single receive or send may block.
void SetIoTimeout(int fd, absl::Duration timeout);

absl::Status SendAll(int fd, absl::string_view bytes);
// 0 when the peer closed its side.
absl::StatusOr<size_t> ReceiveSome(int fd, char* buffer, size_t capacity);

// Waits until the bytes already sent have left the send queue (the peer's kernel has
// them), for at most `timeout`. A reset discards what is still queued, so this makes
// "reset after N bytes" mean that the peer received N bytes.
void WaitForSendQueueToDrain(int fd, absl::Duration timeout);

// Makes the coming close() send a reset (RST) instead of a FIN.
void ResetOnClose(int fd);

// Blocks until the peer closes or resets the connection (true) or `timeout` passes
// (false). Bytes the peer sends meanwhile are left unread.
bool WaitForPeerToClose(int fd, absl::Duration timeout);

}  // namespace objgate::faultproxy

#endif  // OBJGATE_TOOLS_FAULTPROXY_SOCKET_IO_H_
