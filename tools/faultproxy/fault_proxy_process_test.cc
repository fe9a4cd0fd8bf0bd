// The faultproxy binary between libcurl and a scripted in-process upstream: every forwarded
// exchange arrives intact, and every fault happens on the wire as the rule says.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/httpd/http_server.h"
#include "tests/support/http_client.h"
#include "tests/support/subprocess.h"
#include "tools/faultproxy/fault_proxy_client.h"
#include "tools/faultproxy/request_log.h"

namespace objgate::faultproxy {
namespace {

using ::objgate::httpd::BodyReader;
using ::objgate::httpd::RequestHead;
using ::objgate::httpd::ResponseWriter;
using ::objgate::test_support::HttpCall;
using ::objgate::test_support::HttpClient;
using ::objgate::test_support::HttpResponse;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string Pattern(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return data;
}

// What the upstream saw of the last request.
struct Seen {
  RequestHead request;
  std::optional<uint64_t> declared_size;
  std::string body;
  absl::Status body_status;
};

// The upstream: /bytes?n=N answers N bytes with a Content-Length, /chunked?n=N the same
// bytes chunked, anything else echoes the request body. Each answer carries X-Upstream.
class ScriptedUpstream {
 public:
  ScriptedUpstream() {
    absl::StatusOr<std::unique_ptr<httpd::HttpServer>> server = httpd::HttpServer::Start(
        {}, [this](const RequestHead& request, BodyReader& body, ResponseWriter& response) {
          Serve(request, body, response);
        });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string url() const { return absl::StrCat("http://127.0.0.1:", server_->port()); }

  // The last request, once its handler has finished; nullopt if none came within 10 s.
  std::optional<Seen> Last() {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return last_.has_value(); };
    mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10));
    return last_;
  }

 private:
  void Serve(const RequestHead& request, BodyReader& body, ResponseWriter& response) {
    Seen seen{request, body.declared_size(), "", absl::OkStatus()};
    char buffer[16 * 1024];
    while (true) {
      absl::StatusOr<size_t> got = body.Read(absl::MakeSpan(buffer));
      if (!got.ok()) seen.body_status = got.status();
      if (!got.ok() || *got == 0) break;
      seen.body.append(buffer, *got);
    }
    size_t n = 0;
    if (auto text = request.QueryParam("n")) absl::SimpleAtoi(*text, &n);
    const HttpHeaders headers = {{"X-Upstream", "yes"}};
    if (request.path == "/bytes") {
      response.Send(200, headers, Pattern(n)).IgnoreError();
    } else if (request.path == "/chunked") {
      const std::string data = Pattern(n);
      if (response.Begin(200, headers, std::nullopt).ok()) {
        for (size_t offset = 0; offset < n; offset += 10000) {
          if (!response.Write(absl::string_view(data).substr(offset, 10000)).ok()) break;
        }
      }
    } else {
      response.Send(200, headers, seen.body).IgnoreError();
    }
    absl::MutexLock lock(&mu_);
    last_ = std::move(seen);
  }

  absl::Mutex mu_;
  std::optional<Seen> last_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<httpd::HttpServer> server_;
};

class FaultProxyProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<test_support::Subprocess>> started =
        StartFaultProxy(upstream_.url());
    ASSERT_TRUE(started.ok()) << started.status();
    process_ = *std::move(started);
    control_ = std::make_unique<FaultProxyClient>(process_->address());
  }

  void AddRules(absl::string_view json) {
    absl::Status added = control_->AddRules(json);
    ASSERT_TRUE(added.ok()) << added;
  }

  // The one request the proxy logged on `path`, after its exchange ended.
  LoggedRequest OnlyLogged(absl::string_view path) {
    absl::StatusOr<std::vector<LoggedRequest>> log = control_->Log(path);
    EXPECT_TRUE(log.ok()) << log.status();
    EXPECT_THAT(*log, SizeIs(1));
    LoggedRequest request = log->empty() ? LoggedRequest() : log->front();
    EXPECT_TRUE(request.outcome.has_value());
    if (!request.outcome) request.outcome = ExchangeOutcome();
    return request;
  }

  // GETs `target` through the proxy, counting the body bytes that arrive before any error.
  absl::StatusOr<HttpResponse> Get(const std::string& target, size_t& received,
                                   absl::Duration timeout = absl::Seconds(30)) {
    HttpCall call;
    call.target = target;
    call.body_sink = [&received](absl::string_view piece) { received += piece.size(); };
    return HttpClient(process_->address(), timeout).Perform(call);
  }

  ScriptedUpstream upstream_;
  std::unique_ptr<test_support::Subprocess> process_;
  std::unique_ptr<FaultProxyClient> control_;
};

TEST_F(FaultProxyProcessTest, RelaysMethodTargetHeadersAndBodyUntouched) {
  const std::string body = Pattern(300000);
  HttpCall call;
  call.method = "PUT";
  call.target = "/echo?key=a%20b&x=1";
  call.headers = {{"X-Tenant-ID", "t1"}, {"X-Custom", "v"}};
  call.body = body;

  absl::StatusOr<HttpResponse> response = HttpClient(process_->address()).Perform(call);

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body == body);
  EXPECT_EQ(response->Header("X-Upstream"), "yes");
  std::optional<Seen> seen = upstream_.Last();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->request.method, "PUT");
  EXPECT_EQ(seen->request.path, "/echo");
  EXPECT_EQ(seen->request.QueryParam("key"), "a b");
  EXPECT_EQ(seen->request.QueryParam("x"), "1");
  EXPECT_EQ(seen->request.headers.Get("X-Tenant-ID"), "t1");
  EXPECT_EQ(seen->request.headers.Get("X-Custom"), "v");
  EXPECT_EQ(seen->declared_size, body.size());
  EXPECT_TRUE(seen->body == body);
  const LoggedRequest logged = OnlyLogged("/echo");
  EXPECT_EQ(logged.target, "/echo?key=a%20b&x=1");
  EXPECT_EQ(logged.action, "forward");
  EXPECT_EQ(logged.outcome->request_body_bytes, body.size());
  EXPECT_EQ(logged.outcome->response_body_bytes, body.size());
  EXPECT_FALSE(logged.outcome->client_closed);
}

TEST_F(FaultProxyProcessTest, RelaysChunkedBodiesChunked) {
  const std::string body = Pattern(200000);
  size_t offset = 0;
  HttpCall upload;
  upload.method = "PUT";
  upload.target = "/echo";
  upload.body_source = [&](char* buffer, size_t capacity) {
    const size_t n = std::min(capacity, body.size() - offset);
    body.copy(buffer, n, offset);
    offset += n;
    return n;
  };
  absl::StatusOr<HttpResponse> echoed = HttpClient(process_->address()).Perform(upload);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_TRUE(echoed->body == body);
  std::optional<Seen> seen = upstream_.Last();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->declared_size, std::nullopt) << "the upload reached the upstream chunked";

  absl::StatusOr<HttpResponse> download = HttpClient(process_->address()).Get("/chunked?n=250000");
  ASSERT_TRUE(download.ok()) << download.status();
  EXPECT_EQ(download->Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(download->Header("Content-Length"), std::nullopt);
  EXPECT_TRUE(download->body == Pattern(250000));
}

TEST_F(FaultProxyProcessTest, KeepsTheClientConnectionAliveAcrossRequests) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  std::string port_text = process_->address().substr(process_->address().rfind(':') + 1);
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(port_text, &port));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string requests =
      "GET /bytes?n=5 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /bytes?n=7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(send(fd, requests.data(), requests.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(requests.size()));
  std::string answers;
  char buffer[4096];
  ssize_t got;
  while ((got = recv(fd, buffer, sizeof(buffer), 0)) > 0) answers.append(buffer, got);
  close(fd);

  EXPECT_THAT(answers, HasSubstr("Content-Length: 5\r\n"));
  EXPECT_THAT(answers, HasSubstr(absl::StrCat("\r\n\r\n", Pattern(5), "HTTP/1.1 200")));
  EXPECT_THAT(answers, HasSubstr(absl::StrCat("Connection: close\r\n\r\n", Pattern(7))));
}

TEST_F(FaultProxyProcessTest, RespondAnswersWithoutForwarding) {
  ASSERT_NO_FATAL_FAILURE(AddRules(R"({"method": "GET", "path": "/bytes", "action": "respond",
      "status": 429, "headers": {"Retry-After": "1"}, "body": "slow down"})"));
  size_t received = 0;

  absl::StatusOr<HttpResponse> response = Get("/bytes?n=10", received);

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->Header("Retry-After"), "1");
  EXPECT_EQ(response->Header("X-Upstream"), std::nullopt);
  EXPECT_EQ(received, 9u);
  const LoggedRequest logged = OnlyLogged("/bytes");
  EXPECT_EQ(logged.rule, "rule-1");
  EXPECT_EQ(logged.outcome->status, 429);
}

TEST_F(FaultProxyProcessTest, RuleFallsThroughAfterItsTimes) {
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/bytes", "times": 2, "action": "respond", "status": 503})"));
  HttpClient client(process_->address());
  std::vector<long> statuses;
  for (int i = 0; i < 3; ++i) statuses.push_back(client.Get("/bytes?n=1")->status);
  EXPECT_THAT(statuses, ::testing::ElementsAre(503, 503, 200));
}

TEST_F(FaultProxyProcessTest, ResetBeforeResponseSendsNoStatusLine) {
  ASSERT_NO_FATAL_FAILURE(AddRules(R"({"path": "/bytes", "action": "reset_before_response"})"));
  size_t received = 0;

  absl::StatusOr<HttpResponse> response = Get("/bytes?n=10", received);

  ASSERT_FALSE(response.ok());
  // libcurl's words for a reset (CURLE_RECV_ERROR).
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("Failure when receiving data"));
  EXPECT_EQ(OnlyLogged("/bytes").outcome->status, 0);
}

TEST_F(FaultProxyProcessTest, ResetAfterBodyBytesDeliversExactlyThoseBytes) {
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/bytes", "action": "reset_after_body_bytes", "bytes": 100000})"));
  size_t received = 0;

  absl::StatusOr<HttpResponse> response = Get("/bytes?n=1000000", received);

  ASSERT_FALSE(response.ok());
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("Failure when receiving data"));
  EXPECT_EQ(received, 100000u);
  EXPECT_EQ(OnlyLogged("/bytes").outcome->response_body_bytes, 100000u);
}

TEST_F(FaultProxyProcessTest, CloseAfterBodyBytesLeavesTheBodyShort) {
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/bytes", "action": "close_after_body_bytes", "bytes": 100000})"));
  size_t received = 0;

  absl::StatusOr<HttpResponse> response = Get("/bytes?n=1000000", received);

  ASSERT_FALSE(response.ok());
  // libcurl's words for a clean close before the Content-Length (CURLE_PARTIAL_FILE).
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("partial file"));
  EXPECT_EQ(received, 100000u);
}

TEST_F(FaultProxyProcessTest, StallHoldsTheBodyUntilTheClientGivesUp) {
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/bytes", "action": "stall_after_body_bytes", "bytes": 5000})"));
  size_t received = 0;

  absl::StatusOr<HttpResponse> response =
      Get("/bytes?n=1000000", received, absl::Milliseconds(500));

  ASSERT_FALSE(response.ok());
  EXPECT_EQ(received, 5000u);
  const LoggedRequest logged = OnlyLogged("/bytes");
  EXPECT_TRUE(logged.outcome->client_closed);
  EXPECT_GE(logged.outcome->ended - logged.started, absl::Milliseconds(450));
}

TEST_F(FaultProxyProcessTest, ReplaceBodyFixesTheContentLength) {
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/bytes", "action": "replace_body", "body": "<html>"})"));
  size_t received = 0;

  absl::StatusOr<HttpResponse> response = Get("/bytes?n=1000", received);

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Content-Length"), "6");
  EXPECT_EQ(response->Header("X-Upstream"), "yes");
  EXPECT_EQ(received, 6u);
}

TEST_F(FaultProxyProcessTest, ResetAfterRequestBytesBreaksTheUploadOnBothSides) {
  ASSERT_NO_FATAL_FAILURE(
      AddRules(R"({"path": "/upload", "action": "reset_after_request_bytes", "bytes": 65536})"));

  absl::StatusOr<HttpResponse> response =
      HttpClient(process_->address()).Put("/upload", Pattern(1 << 20));

  EXPECT_FALSE(response.ok());
  std::optional<Seen> seen = upstream_.Last();
  ASSERT_TRUE(seen.has_value());
  EXPECT_FALSE(seen->body_status.ok()) << "the upstream must see a broken body";
  EXPECT_LE(seen->body.size(), 65536u);
  EXPECT_EQ(OnlyLogged("/upload").outcome->request_body_bytes, 65536u);
}

TEST_F(FaultProxyProcessTest, DelayHoldsTheRequestBack) {
  ASSERT_NO_FATAL_FAILURE(AddRules(R"({"path": "/bytes", "action": "forward", "delay_ms": 300})"));
  size_t received = 0;
  const absl::Time start = absl::Now();

  absl::StatusOr<HttpResponse> response = Get("/bytes?n=10", received);

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(received, 10u);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
}

TEST_F(FaultProxyProcessTest, MalformedRuleIsRefusedWithTheReason) {
  absl::Status added = control_->AddRules(R"({"path": "/bytes"})");
  EXPECT_FALSE(added.ok());
  EXPECT_THAT(added.message(), HasSubstr("needs an \\\"action\\\""));
}

TEST(FaultProxyUpstreamDownTest, UnreachableUpstreamIsBadGateway) {
  // Port 1 on loopback: nothing listens there, connections are refused at once.
  absl::StatusOr<std::unique_ptr<test_support::Subprocess>> proxy =
      StartFaultProxy("http://127.0.0.1:1");
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  absl::StatusOr<HttpResponse> response = HttpClient((*proxy)->address()).Get("/anything");

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 502);
  EXPECT_THAT(response->body, HasSubstr("cannot reach 127.0.0.1:1"));
}

}  // namespace
}  // namespace objgate::faultproxy
