// corrupting_proxy must flip a byte of message data, never the framing around it: a flipped
// length prefix makes a broken stream, not the CRC32C failure the tests built on it are
// about. These tests send hand-made HTTP/2 frames through it, with message prefixes where
// a frame-level choice of byte would land on them.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace objgate::test_support {
namespace {

constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// A loopback listener on an ephemeral port, standing in for the gateway.
class Listener {
 public:
  Listener() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { close(fd_); }

  int port() const { return port_; }
  int Accept() { return accept(fd_, nullptr, nullptr); }

 private:
  const int fd_;
  int port_ = 0;
};

int ConnectTo(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1))));
  inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &address.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

void SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    sent += static_cast<size_t>(n);
  }
}

std::string ReceiveUntilClosed(int fd) {
  std::string bytes;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) bytes.append(buffer, n);
  return bytes;
}

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, const std::string& payload) {
  const size_t size = payload.size();
  std::string frame = {static_cast<char>(size >> 16),   static_cast<char>(size >> 8),
                       static_cast<char>(size),         static_cast<char>(type),
                       static_cast<char>(flags),        static_cast<char>(stream >> 24),
                       static_cast<char>(stream >> 16), static_cast<char>(stream >> 8),
                       static_cast<char>(stream)};
  return frame + payload;
}

std::string Data(uint32_t stream, const std::string& payload) {
  return Frame(0, 0, stream, payload);
}

std::string MessagePrefix(uint32_t size) {
  return {0, static_cast<char>(size >> 24), static_cast<char>(size >> 16),
          static_cast<char>(size >> 8), static_cast<char>(size)};
}

std::string Body(size_t size, char seed) {
  std::string body(size, '\0');
  for (size_t i = 0; i < size; ++i) body[i] = static_cast<char>(seed + i * 7);
  return body;
}

struct Traffic {
  std::string bytes;         // what goes in the corrupted direction
  size_t expected_flip = 0;  // the offset in `bytes` of the one byte to change
};

// Two streams whose messages are split across DATA frames so that the middle byte of
// several frames is a message prefix, with a padded frame and non-DATA frames between.
// Stream 1: a 4000-byte message (too small to corrupt), then one of 10000 bytes. Stream 3:
// one of 6000 bytes that starts while stream 1's second message is half sent.
Traffic Interleaved(size_t skip) {
  const std::string small = Body(4000, 'a');
  const std::string large = Body(10000, 'b');
  const std::string other = Body(6000, 'c');
  Traffic traffic;
  traffic.bytes = Frame(4, 0, 0, "") +            // SETTINGS
                  Data(1, MessagePrefix(4000)) +  // middle byte: a prefix
                  Data(1, small + MessagePrefix(10000) + large.substr(0, 1000)) +
                  Data(3, MessagePrefix(6000) + other.substr(0, 3)) +
                  Frame(1, 4, 3, "headers-ish") +  // HEADERS, untouched
                  Data(1, large.substr(1000, 3000));
  // Stream 1's message of 10000 bytes is the first large one to start; its byte 5000 is in
  // the next stream-1 frame, padded with 3 bytes of padding.
  const std::string padded = std::string(1, 3) + large.substr(4000, 6000) + "\x01\x02\x03";
  traffic.expected_flip = skip + traffic.bytes.size() + 9 + 1 + (5000 - 4000);
  traffic.bytes += Frame(0, 0x8, 1, padded) + Data(3, other.substr(3));
  return traffic;
}

class CorruptingProxyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CorruptingProxyTest, FlipsTheMiddleByteOfTheFirstLargeMessageAndNothingElse) {
  const bool to_client = GetParam() == "to_client";
  Listener gateway;
  SubprocessOptions options;
  options.binary = "tests/support/corrupting_proxy";
  options.args = {absl::StrCat("--target=127.0.0.1:", gateway.port()), "--direction=" + GetParam(),
                  "--after_data_bytes=0"};
  absl::StatusOr<std::unique_ptr<Subprocess>> proxy = Subprocess::Start(options);
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  const int caller = ConnectTo((*proxy)->address());
  const int accepted = gateway.Accept();
  ASSERT_GE(accepted, 0);
  const std::string preface = to_client ? "" : kPreface;
  Traffic traffic = Interleaved(preface.size());
  const std::string sent = preface + traffic.bytes;
  const int from = to_client ? accepted : caller;
  const int to = to_client ? caller : accepted;
  SendAll(from, sent);
  shutdown(from, SHUT_WR);
  const std::string received = ReceiveUntilClosed(to);
  close(caller);
  close(accepted);

  ASSERT_EQ(received.size(), sent.size());
  std::vector<size_t> changed;
  for (size_t i = 0; i < sent.size(); ++i) {
    if (sent[i] != received[i]) changed.push_back(i);
  }
  ASSERT_EQ(changed, std::vector<size_t>{traffic.expected_flip});
  EXPECT_EQ(static_cast<uint8_t>(sent[changed[0]] ^ received[changed[0]]), 0x5a);
}

INSTANTIATE_TEST_SUITE_P(Directions, CorruptingProxyTest,
                         ::testing::Values("to_client", "to_server"));

}  // namespace
}  // namespace objgate::test_support
