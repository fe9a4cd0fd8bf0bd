#include "common/httpd/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate::httpd {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A client that writes raw bytes, so malformed and half-sent requests can be made.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    const timeval timeout = {10, 0};  // A hung server fails the test instead of hanging it.
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~RawConnection() { close(fd_); }

  bool connected() const { return connected_; }
  void Send(absl::string_view bytes) {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  void CloseWrite() { shutdown(fd_, SHUT_WR); }

  // Bytes until `delimiter` (included), or all that came before EOF.
  std::string ReadThrough(absl::string_view delimiter) {
    while (!absl::StrContains(pending_, delimiter)) {
      if (!ReadMore()) return std::exchange(pending_, "");
    }
    const size_t end = pending_.find(delimiter.data(), 0, delimiter.size()) + delimiter.size();
    std::string head = pending_.substr(0, end);
    pending_.erase(0, end);
    return head;
  }

  // One response framed by Content-Length: its head and body.
  std::string ReadResponse() {
    std::string response = ReadThrough("\r\n\r\n");
    size_t length = 0;
    const size_t at = response.find("Content-Length: ");
    if (at != std::string::npos) {
      absl::SimpleAtoi(response.substr(at + 16, response.find("\r\n", at) - at - 16), &length);
    }
    while (pending_.size() < length && ReadMore()) {
    }
    response += pending_.substr(0, length);
    pending_.erase(0, length);
    return response;
  }

  std::string ReadToEnd() {
    while (ReadMore()) {
    }
    return std::exchange(pending_, "");
  }

  // True if some byte arrives within `wait`.
  bool Readable(int wait_ms) {
    pollfd poll_fd = {fd_, POLLIN, 0};
    return !pending_.empty() || poll(&poll_fd, 1, wait_ms) == 1;
  }

 private:
  bool ReadMore() {
    char buffer[4096];
    const ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
    if (got <= 0) return false;
    pending_.append(buffer, got);
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string pending_;
};

absl::StatusOr<std::string> ReadBody(BodyReader& body) {
  std::string all;
  char buffer[1000];
  while (true) {
    absl::StatusOr<size_t> got = body.Read(absl::MakeSpan(buffer));
    if (!got.ok()) return got.status();
    if (*got == 0) return all;
    all.append(buffer, *got);
  }
}

// Answers with the request body it read, or the error that reading it gave.
void Echo(const RequestHead& request, BodyReader& body, ResponseWriter& response) {
  absl::StatusOr<std::string> bytes = ReadBody(body);
  response.Send(bytes.ok() ? 200 : 400, {},
                bytes.ok() ? *bytes : std::string(bytes.status().message()))
      .IgnoreError();
}

std::unique_ptr<HttpServer> StartServer(HttpHandler handler,
                                        HttpServerOptions options = HttpServerOptions()) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(HttpServerTest, ServesSequentialRequestsOnOneKeepAliveConnection) {
  std::unique_ptr<HttpServer> server = StartServer(Echo);
  ASSERT_NE(server->port(), 0);
  RawConnection client(server->port());
  client.Send("PUT /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nfirst");
  EXPECT_THAT(client.ReadResponse(), AllOf(StartsWith("HTTP/1.1 200 OK\r\n"),
                                           HasSubstr("Content-Length: 5\r\n"),
                                           ::testing::EndsWith("\r\n\r\nfirst")));
  client.Send("PUT /b HTTP/1.1\r\nContent-Length: 6\r\n\r\nsecond");
  EXPECT_THAT(client.ReadResponse(), ::testing::EndsWith("\r\n\r\nsecond"));
}

TEST(HttpServerTest, HandlerReadsAChunkedBodyAsAStream) {
  std::unique_ptr<HttpServer> server = StartServer(
      [](const RequestHead& request, BodyReader& body, ResponseWriter& response) {
        EXPECT_EQ(body.declared_size(), std::nullopt);
        Echo(request, body, response);
      });
  RawConnection client(server->port());
  client.Send("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
  client.Send("lo\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_THAT(client.ReadResponse(), ::testing::EndsWith("\r\n\r\nhello world"));
}

TEST(HttpServerTest, ResponseWithoutALengthIsSentChunked) {
  std::unique_ptr<HttpServer> server =
      StartServer([](const RequestHead&, BodyReader&, ResponseWriter& response) {
        ASSERT_TRUE(response.Begin(200, {}, std::nullopt).ok());
        ASSERT_TRUE(response.Write("ab").ok());
        ASSERT_TRUE(response.Write("").ok());
        ASSERT_TRUE(response.Write("cde").ok());
      });
  RawConnection client(server->port());
  client.Send("GET / HTTP/1.1\r\n\r\n");
  const std::string head = client.ReadThrough("\r\n\r\n");
  EXPECT_THAT(head, HasSubstr("Transfer-Encoding: chunked\r\n"));
  EXPECT_EQ(client.ReadThrough("0\r\n\r\n"), "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n");
}

TEST(HttpServerTest, MalformedRequestGets400AndTheConnectionCloses) {
  std::unique_ptr<HttpServer> server = StartServer(Echo);
  RawConnection client(server->port());
  client.Send("NOT AN HTTP REQUEST\r\n\r\n");
  const std::string answer = client.ReadToEnd();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(answer, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(answer, HasSubstr("{\"error\":\"malformed request line\"}"));
}

TEST(HttpServerTest, OversizedHeadGets431) {
  HttpServerOptions options;
  options.max_head_bytes = 8 * 1024;
  std::unique_ptr<HttpServer> server = StartServer(Echo, options);
  RawConnection client(server->port());
  client.Send(absl::StrCat("GET / HTTP/1.1\r\nX-Big: ", std::string(20000, 'b'), "\r\n\r\n"));
  EXPECT_THAT(client.ReadToEnd(), StartsWith("HTTP/1.1 431 "));
}

TEST(HttpServerTest, UnsupportedTransferCodingGets501AndSmugglingShapeGets400) {
  std::unique_ptr<HttpServer> server = StartServer(Echo);
  RawConnection gzip(server->port());
  gzip.Send("PUT / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
  EXPECT_THAT(gzip.ReadToEnd(), StartsWith("HTTP/1.1 501 "));
  RawConnection both(server->port());
  both.Send("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n");
  EXPECT_THAT(both.ReadToEnd(), StartsWith("HTTP/1.1 400 "));
}

TEST(HttpServerTest, Sends100ContinueWhenTheHandlerStartsReadingTheBody) {
  std::unique_ptr<HttpServer> server = StartServer(Echo);
  RawConnection client(server->port());
  client.Send("PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(client.ReadThrough("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  client.Send("body");
  EXPECT_THAT(client.ReadResponse(),
              AllOf(StartsWith("HTTP/1.1 200 OK\r\n"), ::testing::EndsWith("body")));
}

TEST(HttpServerTest, RefusalWithoutReadingSendsNo100AndClosesTheConnection) {
  std::unique_ptr<HttpServer> server =
      StartServer([](const RequestHead&, BodyReader&, ResponseWriter& response) {
        response.Send(413, {}, "too big").IgnoreError();
      });
  RawConnection client(server->port());
  client.Send(
      "PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1000000000\r\n\r\n");
  const std::string answer = client.ReadToEnd();
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));
  EXPECT_THAT(answer, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(answer, ::testing::Not(HasSubstr("100 Continue")));
}

TEST(HttpServerTest, ClientLeavingMidBodyEndsOnlyThatConnection) {
  absl::Mutex mu;
  std::vector<absl::StatusCode> body_errors;
  std::unique_ptr<HttpServer> server = StartServer(
      [&](const RequestHead& request, BodyReader& body, ResponseWriter& response) {
        absl::StatusOr<std::string> bytes = ReadBody(body);
        {
          absl::MutexLock lock(&mu);
          body_errors.push_back(bytes.status().code());
        }
        Echo(request, body, response);
      });
  {
    RawConnection leaver(server->port());
    leaver.Send("PUT / HTTP/1.1\r\nContent-Length: 1000\r\n\r\nonly ten b");
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::vector<absl::StatusCode>* errors) { return !errors->empty(); },
        &body_errors));
    EXPECT_EQ(body_errors[0], absl::StatusCode::kUnavailable);
  }
  RawConnection next(server->port());
  next.Send("PUT / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_THAT(next.ReadResponse(), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST(HttpServerTest, HeadGetsTheHeadersWithoutTheBody) {
  std::unique_ptr<HttpServer> server =
      StartServer([](const RequestHead& request, BodyReader&, ResponseWriter& response) {
        response.Send(200, {}, request.method == "HEAD" ? "hello" : "world").IgnoreError();
      });
  RawConnection client(server->port());
  client.Send("HEAD / HTTP/1.1\r\n\r\n");
  EXPECT_THAT(client.ReadThrough("\r\n\r\n"), HasSubstr("Content-Length: 5\r\n"));
  // Were the body sent, it would be read here as the start of the next response.
  client.Send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_THAT(client.ReadResponse(),
              AllOf(StartsWith("HTTP/1.1 200 OK\r\n"), ::testing::EndsWith("world")));
}

TEST(HttpServerTest, HandlerThatSendsNothingYields500) {
  std::unique_ptr<HttpServer> server =
      StartServer([](const RequestHead&, BodyReader&, ResponseWriter&) {});
  RawConnection client(server->port());
  client.Send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_THAT(client.ReadResponse(), StartsWith("HTTP/1.1 500 "));
}

TEST(HttpServerTest, StopClosesIdleConnectionsAndTheListener) {
  std::unique_ptr<HttpServer> server = StartServer(Echo);
  const uint16_t port = server->port();
  RawConnection idle(port);
  idle.Send("PUT / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_THAT(idle.ReadResponse(), StartsWith("HTTP/1.1 200 OK\r\n"));

  server->Stop();
  EXPECT_EQ(idle.ReadToEnd(), "");
  EXPECT_FALSE(RawConnection(port).connected());
}

TEST(HttpServerTest, StopLetsARequestInProgressFinish) {
  absl::Notification handler_started;
  std::unique_ptr<HttpServer> server = StartServer(
      [&](const RequestHead& request, BodyReader& body, ResponseWriter& response) {
        handler_started.Notify();
        Echo(request, body, response);
      });
  RawConnection client(server->port());
  client.Send("PUT / HTTP/1.1\r\nContent-Length: 8\r\n\r\nhalf");
  handler_started.WaitForNotification();
  std::thread stopper([&] { server->Stop(); });
  client.Send("done");
  EXPECT_THAT(client.ReadResponse(),
              AllOf(StartsWith("HTTP/1.1 200 OK\r\n"), ::testing::EndsWith("halfdone")));
  EXPECT_EQ(client.ReadToEnd(), "");
  stopper.join();
}

TEST(HttpServerTest, ClientsBeyondMaxConnectionsWaitForAFreeSlot) {
  HttpServerOptions options;
  options.max_connections = 1;
  std::unique_ptr<HttpServer> server = StartServer(Echo, options);
  auto first = std::make_unique<RawConnection>(server->port());
  first->Send("PUT / HTTP/1.1\r\nContent-Length: 1\r\n\r\n1");
  EXPECT_THAT(first->ReadResponse(), StartsWith("HTTP/1.1 200 OK\r\n"));

  RawConnection second(server->port());
  second.Send("PUT / HTTP/1.1\r\nContent-Length: 1\r\n\r\n2");
  EXPECT_FALSE(second.Readable(300));
  first.reset();
  EXPECT_THAT(second.ReadResponse(), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST(ParseListenAddressTest, AcceptsHostPortAndBracketedV6) {
  HttpServerOptions options;
  ASSERT_TRUE(ParseListenAddress("127.0.0.1:9464", options));
  EXPECT_EQ(options.host, "127.0.0.1");
  EXPECT_EQ(options.port, 9464);
  ASSERT_TRUE(ParseListenAddress("[::1]:0", options));
  EXPECT_EQ(options.host, "::1");
  EXPECT_EQ(options.port, 0);
}

TEST(ParseListenAddressTest, RefusesWhatIsNotHostPort) {
  HttpServerOptions options;
  for (const char* text : {"", "9464", ":9464", "host:", "host:65536", "[::1:80", "h:x"}) {
    EXPECT_FALSE(ParseListenAddress(text, options)) << text;
  }
}

}  // namespace
}  // namespace objgate::httpd
