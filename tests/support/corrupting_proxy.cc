// corrupting_proxy: a TCP relay between a gRPC caller and the gateway (plaintext HTTP/2)
// that changes one byte of message data, once, the way a faulty NIC, driver or middlebox
// would: below TCP's checksum and HTTP/2's framing, which carry on as if nothing happened.
// Tests put it in front of a gateway to show that the CRC32C on each message catches what
// nothing else would.
//
//   corrupting_proxy --target=127.0.0.1:PORT --direction=to_client --after_data_bytes=N
//
// It reads the HTTP/2 frames going in --direction (to_client: the gateway's answers;
// to_server: the caller's requests, after the connection preface) and flips the bits of
// the middle byte of the first DATA frame's payload that starts after N bytes of DATA
// payload have passed, counted over every connection. Messages of a download are a few
// bytes of framing around large runs of data, so the byte flipped is data. Everything else
// is relayed untouched. Prints "listening on 127.0.0.1:PORT" once it accepts connections,
// and "corrupted byte ..." on stderr when it has done its work.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(std::string, target, "", "HOST:PORT of the gateway (IPv4).");
ABSL_FLAG(std::string, direction, "to_client", "to_client or to_server.");
ABSL_FLAG(int64_t, after_data_bytes, 65536,
          "DATA payload bytes to relay untouched before the corrupted frame.");

namespace {

constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kPrefaceBytes = sizeof(kPreface) - 1;
constexpr size_t kFrameHeaderBytes = 9;
constexpr uint8_t kDataFrame = 0;

std::atomic<int64_t> data_bytes_seen{0};
std::atomic<bool> corrupted{false};

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Copies `from` to `to` until either closes. With `inspect`, walks the HTTP/2 frames (after
// `skip` bytes of connection preface) and corrupts one DATA payload byte once.
void Relay(int from, int to, bool inspect, size_t skip) {
  std::vector<char> buffer(1 << 16);
  // Where the walk is: bytes left of the preface, of a frame header being read, or of the
  // current frame's payload.
  char header[kFrameHeaderBytes];
  size_t header_fill = 0;
  uint64_t payload_left = 0;
  bool in_data = false;
  uint64_t corrupt_at = UINT64_MAX;  // offset left to the byte to flip, in this payload
  while (true) {
    const ssize_t n = recv(from, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    if (inspect) {
      for (ssize_t i = 0; i < n;) {
        if (skip > 0) {
          const size_t take = std::min<size_t>(skip, static_cast<size_t>(n - i));
          skip -= take;
          i += static_cast<ssize_t>(take);
        } else if (payload_left == 0) {
          header[header_fill++] = buffer[i++];
          if (header_fill == kFrameHeaderBytes) {
            header_fill = 0;
            payload_left = (uint64_t{static_cast<uint8_t>(header[0])} << 16) |
                           (uint64_t{static_cast<uint8_t>(header[1])} << 8) |
                           static_cast<uint8_t>(header[2]);
            in_data = static_cast<uint8_t>(header[3]) == kDataFrame;
            corrupt_at = UINT64_MAX;
            if (in_data && payload_left >= 2 && !corrupted.load() &&
                data_bytes_seen.load() >= absl::GetFlag(FLAGS_after_data_bytes)) {
              if (!corrupted.exchange(true)) corrupt_at = payload_left / 2;
            }
            if (in_data) data_bytes_seen += static_cast<int64_t>(payload_left);
          }
        } else {
          const uint64_t take = std::min<uint64_t>(payload_left, static_cast<uint64_t>(n - i));
          if (corrupt_at < take) {
            buffer[i + static_cast<ssize_t>(corrupt_at)] ^= 0x5a;
            std::cerr << "corrupting_proxy: corrupted byte " << data_bytes_seen.load()
                      << " of DATA payload" << std::endl;
            corrupt_at = UINT64_MAX;
          } else if (corrupt_at != UINT64_MAX) {
            corrupt_at -= take;
          }
          payload_left -= take;
          i += static_cast<ssize_t>(take);
        }
      }
    }
    if (!WriteAll(to, buffer.data(), static_cast<size_t>(n))) break;
  }
  shutdown(to, SHUT_WR);
  shutdown(from, SHUT_RD);
}

int Connect(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::vector<std::string> target = absl::StrSplit(absl::GetFlag(FLAGS_target), ':');
  int target_port = 0;
  const std::string direction = absl::GetFlag(FLAGS_direction);
  if (target.size() != 2 || !absl::SimpleAtoi(target[1], &target_port) ||
      (direction != "to_client" && direction != "to_server")) {
    std::cerr << "usage: corrupting_proxy --target=IPV4:PORT --direction=to_client|to_server "
                 "[--after_data_bytes=N]\n";
    return 2;
  }
  const std::string host = target[0] == "localhost" ? "127.0.0.1" : target[0];

  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 64) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("corrupting_proxy: listen");
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << ntohs(address.sin_port) << std::endl;

  const bool to_client = direction == "to_client";
  while (true) {
    const int caller = accept(listener, nullptr, nullptr);
    if (caller < 0) continue;
    const int one = 1;
    setsockopt(caller, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int gateway = Connect(host, target_port);
    if (gateway < 0) {
      close(caller);
      continue;
    }
    // Each connection's two directions on threads of their own, for the proxy's life.
    std::thread([caller, gateway, to_client] {
      std::thread up(Relay, caller, gateway, !to_client, kPrefaceBytes);
      Relay(gateway, caller, to_client, 0);
      up.join();
      close(caller);
      close(gateway);
    }).detach();
  }
}
