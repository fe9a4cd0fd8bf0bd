#include "server/http/curl_multi_http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/byte_stream.h"
#include "common/httpd/http_server.h"
#include "common/retry/retryable.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;

// Latch with std::mutex, so that ThreadSanitizer sees the hand-over (Debian's
// Abseil is not built for it).
class Latch {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    changed_.notify_all();
  }
  bool HasBeenNotified() {
    std::lock_guard<std::mutex> lock(mu_);
    return notified_;
  }
  void WaitForNotification() {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [this] { return notified_; });
  }
  void WaitForNotificationWithTimeout(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [this] { return notified_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool notified_ = false;
};

// Keeps what an exchange delivered, and which threads delivered it.
class RecordingSink : public AsyncResponseSink {
 public:
  absl::Status OnHead(const HttpResponseHead& head) override {
    Seen();
    status_code = head.status;
    headers = head.headers;
    return absl::OkStatus();
  }
  absl::Status OnBody(absl::string_view bytes) override {
    Seen();
    body.append(bytes.data(), bytes.size());
    return body_error;
  }
  void OnDone(absl::Status status) override {
    Seen();
    outcome = std::move(status);
    done.Notify();
  }

  absl::Status Wait() {
    done.WaitForNotification();
    return *outcome;
  }

  int status_code = 0;
  HttpHeaders headers;
  std::string body;
  absl::Status body_error;
  std::optional<absl::Status> outcome;
  std::set<std::thread::id> threads;
  Latch done;

 private:
  void Seen() { threads.insert(std::this_thread::get_id()); }
};

class CurlMultiHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = httpd::HttpServer::Start(
        {}, [this](const httpd::RequestHead& request, httpd::BodyReader& body,
                   httpd::ResponseWriter& response) { Serve(request, body, response); });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto client = CurlMultiHttpClient::Create({});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  // GET /hello answers a body; PUT /echo answers what it was sent; GET /hold waits until
  // the test releases it.
  void Serve(const httpd::RequestHead& request, httpd::BodyReader& body,
             httpd::ResponseWriter& response) {
    if (request.path == "/hello") {
      HttpHeaders headers;
      headers.Add("X-Seen-Tenant", std::string(request.headers.Get("X-Tenant-ID").value_or("")));
      (void)response.Send(200, headers, "hello, world");
    } else if (request.path == "/echo") {
      std::string received;
      char buffer[4096];
      for (;;) {
        absl::StatusOr<size_t> n = body.Read(absl::MakeSpan(buffer));
        if (!n.ok() || *n == 0) break;
        received.append(buffer, *n);
      }
      (void)response.Send(201, {}, received);
    } else if (request.path == "/hold") {
      held_.Notify();
      release_.WaitForNotificationWithTimeout(absl::Seconds(30));
      (void)response.Send(200, {}, "late");
    } else if (request.path == "/empty") {
      (void)response.Send(204, {}, "");
    } else {
      (void)response.Send(404, {}, "no such path");
    }
  }

  void TearDown() override {
    if (!release_.HasBeenNotified()) release_.Notify();
    client_.reset();
    server_.reset();
  }

  HttpRequest Request(const std::string& method, const std::string& path) {
    HttpRequest request;
    request.method = method;
    request.url = server_->url() + path;
    request.deadline = absl::Now() + absl::Seconds(30);
    return request;
  }

  std::unique_ptr<httpd::HttpServer> server_;
  std::unique_ptr<CurlMultiHttpClient> client_;
  Latch held_;
  Latch release_;
};

TEST_F(CurlMultiHttpClientTest, GetDeliversHeadAndBodyOnTheClientsThread) {
  RecordingSink sink;
  HttpRequest request = Request("GET", "/hello");
  request.headers.Add("X-Tenant-ID", "acme");
  client_->Start(std::move(request), sink);
  ASSERT_TRUE(sink.Wait().ok()) << *sink.outcome;
  EXPECT_EQ(sink.status_code, 200);
  EXPECT_EQ(sink.headers.Get("X-Seen-Tenant").value_or(""), "acme");
  EXPECT_EQ(sink.body, "hello, world");
  ASSERT_EQ(sink.threads.size(), 1u);
  EXPECT_NE(*sink.threads.begin(), std::this_thread::get_id());
}

TEST_F(CurlMultiHttpClientTest, PutSendsTheBodyAtHand) {
  const std::string payload(300000, 'p');
  StringByteSource body(payload);
  RecordingSink sink;
  HttpRequest request = Request("PUT", "/echo");
  request.body = &body;
  request.body_size = payload.size();
  client_->Start(std::move(request), sink);
  ASSERT_TRUE(sink.Wait().ok()) << *sink.outcome;
  EXPECT_EQ(sink.status_code, 201);
  EXPECT_EQ(sink.body.size(), payload.size());
  EXPECT_EQ(sink.body, payload);
}

TEST_F(CurlMultiHttpClientTest, AnEmptyBodyStillDeliversTheHead) {
  RecordingSink sink;
  client_->Start(Request("GET", "/empty"), sink);
  ASSERT_TRUE(sink.Wait().ok()) << *sink.outcome;
  EXPECT_EQ(sink.status_code, 204);
  EXPECT_EQ(sink.body, "");
}

TEST_F(CurlMultiHttpClientTest, ManyExchangesAtOnceShareTheConnectionLimitAndOneThread) {
  CurlHttpClientOptions options;
  options.max_connections = 4;
  auto client = CurlMultiHttpClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  constexpr int kExchanges = 64;
  std::vector<RecordingSink> sinks(kExchanges);
  for (RecordingSink& sink : sinks) (*client)->Start(Request("GET", "/hello"), sink);
  std::set<std::thread::id> threads;
  for (RecordingSink& sink : sinks) {
    ASSERT_TRUE(sink.Wait().ok()) << *sink.outcome;
    EXPECT_EQ(sink.body, "hello, world");
    threads.insert(sink.threads.begin(), sink.threads.end());
  }
  EXPECT_EQ(threads.size(), 1u);
  const CurlMultiHttpClient::Stats stats = (*client)->GetStats();
  EXPECT_EQ(stats.in_flight, 0);
  EXPECT_GE(stats.connections_opened, 1);
  EXPECT_LE(stats.connections_opened, 4);
}

TEST_F(CurlMultiHttpClientTest, ConnectionsAreKeptForTheNextExchange) {
  for (int i = 0; i < 5; ++i) {
    RecordingSink sink;
    client_->Start(Request("GET", "/hello"), sink);
    ASSERT_TRUE(sink.Wait().ok()) << *sink.outcome;
  }
  EXPECT_EQ(client_->GetStats().connections_opened, 1);
}

TEST_F(CurlMultiHttpClientTest, ASinkErrorAbortsTheExchangeAndIsItsOutcome) {
  RecordingSink sink;
  sink.body_error = absl::DataLossError("checksum mismatch");
  client_->Start(Request("GET", "/hello"), sink);
  const absl::Status outcome = sink.Wait();
  EXPECT_EQ(outcome.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(outcome.message(), HasSubstr("checksum mismatch"));
}

TEST_F(CurlMultiHttpClientTest, AnUnreachableUpstreamIsUnavailableAndRetryable) {
  const std::string url = server_->url();
  server_.reset();  // nothing listens on its port now
  RecordingSink sink;
  HttpRequest request;
  request.url = url + "/hello";
  request.deadline = absl::Now() + absl::Seconds(30);
  client_->Start(std::move(request), sink);
  const absl::Status outcome = sink.Wait();
  EXPECT_EQ(outcome.code(), absl::StatusCode::kUnavailable) << outcome;
  EXPECT_TRUE(IsRetryable(outcome)) << outcome;
}

TEST_F(CurlMultiHttpClientTest, ThePassedDeadlineEndsAnExchangeWithoutSendingIt) {
  RecordingSink sink;
  HttpRequest request = Request("GET", "/hold");
  request.deadline = absl::Now() - absl::Seconds(1);
  client_->Start(std::move(request), sink);
  const absl::Status outcome = sink.Wait();
  EXPECT_EQ(outcome.code(), absl::StatusCode::kDeadlineExceeded) << outcome;
  EXPECT_FALSE(held_.HasBeenNotified());
}

TEST_F(CurlMultiHttpClientTest, TheDeadlineCutsOffAnExchangeInFlight) {
  RecordingSink sink;
  HttpRequest request = Request("GET", "/hold");
  request.deadline = absl::Now() + absl::Milliseconds(300);
  client_->Start(std::move(request), sink);
  const absl::Status outcome = sink.Wait();
  EXPECT_EQ(outcome.code(), absl::StatusCode::kDeadlineExceeded) << outcome;
  EXPECT_TRUE(held_.HasBeenNotified());
}

TEST_F(CurlMultiHttpClientTest, ACancelledCallerEndsItsExchange) {
  std::atomic<bool> cancelled{false};
  RecordingSink sink;
  HttpRequest request = Request("GET", "/hold");
  request.is_cancelled = [&cancelled] { return cancelled.load(); };
  client_->Start(std::move(request), sink);
  held_.WaitForNotification();
  cancelled = true;
  const absl::Status outcome = sink.Wait();
  EXPECT_EQ(outcome.code(), absl::StatusCode::kCancelled) << outcome;
}

TEST_F(CurlMultiHttpClientTest, OtherExchangesGoOnWhileOneWaits) {
  RecordingSink held;
  client_->Start(Request("GET", "/hold"), held);
  held_.WaitForNotification();
  RecordingSink quick;
  client_->Start(Request("GET", "/hello"), quick);
  ASSERT_TRUE(quick.Wait().ok()) << *quick.outcome;
  EXPECT_FALSE(held.done.HasBeenNotified());
  release_.Notify();
  ASSERT_TRUE(held.Wait().ok()) << *held.outcome;
  EXPECT_EQ(held.body, "late");
}

TEST_F(CurlMultiHttpClientTest, ShuttingDownCancelsWhatIsInFlight) {
  RecordingSink sink;
  client_->Start(Request("GET", "/hold"), sink);
  held_.WaitForNotification();
  client_.reset();
  ASSERT_TRUE(sink.done.HasBeenNotified());
  EXPECT_EQ(sink.outcome->code(), absl::StatusCode::kCancelled) << *sink.outcome;
}

// A sink that starts the next exchange from its OnDone, on the client's thread.
class ChainingSink : public AsyncResponseSink {
 public:
  ChainingSink(AsyncHttpClient& client, HttpRequest next, AsyncResponseSink& then)
      : client_(client), next_(std::move(next)), then_(then) {}
  absl::Status OnHead(const HttpResponseHead&) override { return absl::OkStatus(); }
  absl::Status OnBody(absl::string_view) override { return absl::OkStatus(); }
  void OnDone(absl::Status status) override {
    first = status;
    client_.Start(std::move(next_), then_);
  }
  absl::Status first;

 private:
  AsyncHttpClient& client_;
  HttpRequest next_;
  AsyncResponseSink& then_;
};

TEST_F(CurlMultiHttpClientTest, ASinkMayStartTheNextExchangeFromItsCallbacks) {
  RecordingSink second;
  ChainingSink first(*client_, Request("GET", "/hello"), second);
  client_->Start(Request("GET", "/empty"), first);
  ASSERT_TRUE(second.Wait().ok()) << *second.outcome;
  EXPECT_TRUE(first.first.ok()) << first.first;
  EXPECT_EQ(second.body, "hello, world");
}

TEST_F(CurlMultiHttpClientTest, AnExchangeStartedByASinkDuringShutdownIsCancelledToo) {
  RecordingSink second;
  ChainingSink first(*client_, Request("GET", "/hello"), second);
  client_->Start(Request("GET", "/hold"), first);
  held_.WaitForNotification();
  client_.reset();
  EXPECT_EQ(first.first.code(), absl::StatusCode::kCancelled) << first.first;
  ASSERT_TRUE(second.done.HasBeenNotified());
  EXPECT_EQ(second.outcome->code(), absl::StatusCode::kCancelled) << *second.outcome;
}

TEST_F(CurlMultiHttpClientTest, StartBufferedCollectsTheAnswer) {
  Latch done;
  absl::StatusOr<BufferedResponse> answer;
  StartBuffered(*client_, Request("GET", "/hello"), 1024,
                [&](absl::StatusOr<BufferedResponse> got) {
                  answer = std::move(got);
                  done.Notify();
                });
  done.WaitForNotification();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "hello, world");
}

TEST_F(CurlMultiHttpClientTest, StartBufferedRefusesAnAnswerOverItsBound) {
  Latch done;
  absl::StatusOr<BufferedResponse> answer;
  StartBuffered(*client_, Request("GET", "/hello"), 5, [&](absl::StatusOr<BufferedResponse> got) {
    answer = std::move(got);
    done.Notify();
  });
  done.WaitForNotification();
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInternal) << answer.status();
  EXPECT_THAT(answer.status().message(), HasSubstr("larger than 5 bytes"));
}

}  // namespace
}  // namespace objgate
