#ifndef OBJGATE_SERVER_HTTP_TESTING_FAKE_HTTP_CLIENT_H_
#define OBJGATE_SERVER_HTTP_TESTING_FAKE_HTTP_CLIENT_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/http_headers.h"
#include "server/http/http_client.h"

namespace objgate {

// What a FakeHttpClient saw of one request.
struct RecordedHttpRequest {
  std::string method;
  std::string url;
  HttpHeaders headers;
  // Every byte the request's body source gave; empty without a body.
  std::string body;
  bool has_body = false;
  std::optional<int64_t> body_size;
  bool count_sends = false;
};

// How a FakeHttpClient answers one request.
struct FakeHttpAnswer {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  // The body reaches the sink in OnBody calls of these sizes, cycled (uneven sizes make
  // pieces cross whatever boundaries the reader keeps).
  std::vector<size_t> piece_bytes = {64 * 1024};
  // Returned by Perform instead of any answer: a connection refused, a reset before the
  // head.
  absl::Status error;
  // Returned by Perform after the head and `body` were delivered: a transfer that broke
  // mid-body, or a request the transport re-sent (reported only with count_sends).
  absl::Status error_after_body;
  int requests_sent = 1;
};

// An HttpClient for testing the layers above it (RestUpstream, InstrumentedHttpClient):
// records each request, body included (read from its source to the end, as a transport
// would send it), and answers from a queue of scripted answers, or from a handler once the
// queue is empty. An error from the body source or the sink ends Perform with that error,
// as CurlHttpClient does. Safe to use from many threads.
//
//   FakeHttpClient http;
//   http.Enqueue({.status = 404, .body = R"({"error":"Object not found"})"});
//   EXPECT_TRUE(absl::IsNotFound(upstream->Delete(context, "k")));
//   EXPECT_EQ(http.requests()[0].url, "http://store/delete?key=k");
class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<FakeHttpAnswer(const RecordedHttpRequest& request)>;

  void Enqueue(FakeHttpAnswer answer);
  // Answers requests once the queue is empty; without one, they fail with INTERNAL.
  void SetHandler(Handler handler);

  absl::Status Perform(const HttpRequest& request, ResponseSink& sink) override;

  std::vector<RecordedHttpRequest> requests() const;

 private:
  mutable absl::Mutex mu_;
  std::deque<FakeHttpAnswer> queue_ ABSL_GUARDED_BY(mu_);
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedHttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

// A JSON answer, with its Content-Type.
FakeHttpAnswer JsonAnswer(int status, std::string body);

}  // namespace objgate

#endif  // OBJGATE_SERVER_HTTP_TESTING_FAKE_HTTP_CLIENT_H_
