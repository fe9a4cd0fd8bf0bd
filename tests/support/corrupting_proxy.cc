// corrupting_proxy: a TCP relay between a gRPC caller and the gateway (plaintext HTTP/2)
// that changes one byte of message data, once, the way a faulty NIC, driver or middlebox
// would: below TCP's checksum and HTTP/2's framing, which carry on as if nothing happened.
// Tests put it in front of a gateway to show that the CRC32C on each message catches what
// nothing else would.
//
//   corrupting_proxy --target=127.0.0.1:PORT --direction=to_client --after_data_bytes=N
//
// It reads the HTTP/2 frames going in --direction (to_client: the gateway's answers;
// to_server: the caller's requests, after the connection preface), follows the gRPC
// messages in each stream's DATA payload, and flips the bits of the middle byte of the
// first message of at least 4 KiB that starts after N bytes of messages have passed,
// counted over every connection. A message that large is a few bytes of framing around
// its data, so the byte flipped is data, never a length prefix or a field's tag (which
// would be caught as a broken stream, not by the CRC32C the tests are about). Everything
// else is relayed untouched. Prints "listening on 127.0.0.1:PORT" once it accepts
// connections, and "corrupted byte ..." on stderr when it has done its work.

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
#include <map>
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
          "Bytes of gRPC messages to relay untouched before the corrupted message.");

namespace {

constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kPrefaceBytes = sizeof(kPreface) - 1;
constexpr size_t kFrameHeaderBytes = 9;
constexpr uint8_t kDataFrame = 0;
constexpr uint8_t kPaddedFlag = 0x8;
constexpr size_t kMessagePrefixBytes = 5;  // compressed flag, 4-byte length
constexpr uint32_t kSmallestCorruptedMessage = 4096;

std::atomic<int64_t> message_bytes_seen{0};
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

// Where one stream's gRPC messages are, across the DATA frames that carry them.
struct MessageWalk {
  uint8_t prefix[kMessagePrefixBytes];
  size_t prefix_fill = 0;
  uint64_t message_size = 0;
  uint64_t message_left = 0;
  uint64_t corrupt_at = UINT64_MAX;  // offset of the byte to flip, from here in the message

  // Walks `size` bytes of message stream at `data`, flipping the chosen byte in place.
  void Walk(char* data, uint64_t size) {
    while (size > 0) {
      if (message_left == 0) {
        prefix[prefix_fill++] = static_cast<uint8_t>(*data++);
        --size;
        if (prefix_fill < kMessagePrefixBytes) continue;
        prefix_fill = 0;
        message_size = (uint64_t{prefix[1]} << 24) | (uint64_t{prefix[2]} << 16) |
                       (uint64_t{prefix[3]} << 8) | prefix[4];
        message_left = message_size;
        if (message_size >= kSmallestCorruptedMessage && !corrupted.load() &&
            message_bytes_seen.load() >= absl::GetFlag(FLAGS_after_data_bytes) &&
            !corrupted.exchange(true)) {
          corrupt_at = message_size / 2;
        }
        message_bytes_seen += static_cast<int64_t>(message_size);
        continue;
      }
      const uint64_t take = std::min(message_left, size);
      if (corrupt_at < take) {
        data[corrupt_at] ^= 0x5a;
        std::cerr << "corrupting_proxy: corrupted byte " << message_size / 2 << " of a message of "
                  << message_size << " bytes" << std::endl;
        corrupt_at = UINT64_MAX;
      } else if (corrupt_at != UINT64_MAX) {
        corrupt_at -= take;
      }
      message_left -= take;
      data += take;
      size -= take;
    }
  }
};

// Copies `from` to `to` until either closes. With `inspect`, walks the HTTP/2 frames (after
// `skip` bytes of connection preface) and the gRPC messages in each stream's DATA frames,
// and corrupts one message byte once.
void Relay(int from, int to, bool inspect, size_t skip) {
  std::vector<char> buffer(1 << 16);
  std::map<uint32_t, MessageWalk> streams;
  // Where the frame walk is: a frame header being read, or the current frame's payload.
  // A padded DATA frame's payload starts with its pad length (still to be read while
  // `pad_length_left`) and ends with `padding` bytes, which are not message bytes.
  uint8_t header[kFrameHeaderBytes];
  size_t header_fill = 0;
  uint64_t payload_left = 0;
  MessageWalk* data_stream = nullptr;  // the stream of the DATA frame being read
  bool pad_length_left = false;
  uint64_t padding = 0;
  while (true) {
    const ssize_t n = recv(from, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    for (uint64_t i = 0; inspect && i < static_cast<uint64_t>(n);) {
      const uint64_t available = static_cast<uint64_t>(n) - i;
      if (skip > 0) {
        const uint64_t take = std::min<uint64_t>(skip, available);
        skip -= take;
        i += take;
      } else if (payload_left == 0) {
        header[header_fill++] = static_cast<uint8_t>(buffer[i++]);
        if (header_fill < kFrameHeaderBytes) continue;
        header_fill = 0;
        payload_left = (uint64_t{header[0]} << 16) | (uint64_t{header[1]} << 8) | header[2];
        const uint32_t stream_id = ((uint32_t{header[5]} & 0x7f) << 24) |
                                   (uint32_t{header[6]} << 16) | (uint32_t{header[7]} << 8) |
                                   header[8];
        data_stream = header[3] == kDataFrame ? &streams[stream_id] : nullptr;
        pad_length_left = data_stream != nullptr && (header[4] & kPaddedFlag) != 0;
        padding = 0;
      } else if (pad_length_left) {
        padding = static_cast<uint8_t>(buffer[i++]);
        --payload_left;
        pad_length_left = false;
      } else {
        const uint64_t take = std::min(payload_left, available);
        if (data_stream != nullptr && payload_left > padding) {
          data_stream->Walk(&buffer[i], std::min(take, payload_left - padding));
        }
        payload_left -= take;
        i += take;
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
