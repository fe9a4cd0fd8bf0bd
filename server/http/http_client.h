#ifndef OBJGATE_SERVER_HTTP_HTTP_CLIENT_H_
#define OBJGATE_SERVER_HTTP_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/byte_stream.h"
#include "common/http_headers.h"

namespace objgate {

// The status line and headers of a response.
struct HttpResponseHead {
  int status = 0;
  HttpHeaders headers;
  // How many times the request went out, when HttpRequest::count_sends asked; the
  // transport re-sends a request by itself when a kept-alive connection turns out dead
  // before any answer. 1 otherwise.
  int requests_sent = 1;
};

// Where a response goes. OnHead is called once, before any OnBody call. Both may block:
// a slow consumer slows the upstream read. An error aborts the transfer and is returned
// by HttpClient::Perform as it is.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual absl::Status OnHead(const HttpResponseHead& head) = 0;
  virtual absl::Status OnBody(absl::string_view bytes) = 0;
};

struct HttpRequest {
  std::string method = "GET";
  // Absolute URL, already encoded.
  std::string url;
  HttpHeaders headers;
  // The request body, or null for none. The transport pulls it as it sends, so a slow
  // source slows the request; an error from it aborts the request, so the upstream never
  // sees a complete body (that is how a failed upload leaves nothing behind).
  // `body_size` set: sent with Content-Length; unset: sent with chunked transfer encoding.
  ByteSource* body = nullptr;
  std::optional<int64_t> body_size;
  // The whole exchange must end by then; the transfer is cut off when it passes.
  absl::Time deadline = absl::InfiniteFuture();
  // Polled during the transfer; returning true aborts it (the caller went away).
  std::function<bool()> is_cancelled;
  // Report in HttpResponseHead::requests_sent whether the transport sent the request more
  // than once; for calls whose answer means something else when repeated (a DELETE that
  // finds nothing). Costs a callback per transfer event, so it is off by default.
  bool count_sends = false;
};

// One HTTP exchange at a time per call, any number of calls at once from any threads.
class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Sends `request` and streams the response into `sink`. Returns OK when a complete
  // response (of any HTTP status) was delivered; otherwise the transport error (mapped by
  // the status table) or the error that the body source or the sink returned.
  virtual absl::Status Perform(const HttpRequest& request, ResponseSink& sink) = 0;
};

// Where a response goes when the exchange holds no thread of its own (AsyncHttpClient).
// Every callback runs on the client's thread, which serves all its exchanges, so none may
// block: OnHead and OnBody take what comes, and the sink keeps or passes it on at once.
class AsyncResponseSink : public ResponseSink {
 public:
  // Once, last: what HttpClient::Perform would have returned. The sink may be deleted in it.
  virtual void OnDone(absl::Status status) = 0;
};

// Exchanges that wait without a thread each: any number run at once on the client's own
// thread, which sleeps in one poll for all of them.
class AsyncHttpClient {
 public:
  virtual ~AsyncHttpClient() = default;

  // Starts `request` and returns at once; the sink hears of it on the client's thread,
  // which may be before Start returns. `request.body`, if any, must not block: its bytes
  // are at hand. `sink` must live until its OnDone.
  virtual void Start(HttpRequest request, AsyncResponseSink& sink) = 0;
};

// A response whose body was collected in memory; for the small JSON answers only.
struct BufferedResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  int requests_sent = 1;
};

// Performs `request` and collects at most `max_body_bytes` of body; a longer body is an
// error (INTERNAL), since a JSON answer that large means the upstream is misbehaving.
absl::StatusOr<BufferedResponse> PerformBuffered(HttpClient& client, const HttpRequest& request,
                                                 size_t max_body_bytes);

// PerformBuffered without a thread: starts `request` and calls `done` with the answer on
// the client's thread, where it must not block.
void StartBuffered(AsyncHttpClient& client, HttpRequest request, size_t max_body_bytes,
                   std::function<void(absl::StatusOr<BufferedResponse>)> done);

}  // namespace objgate

#endif  // OBJGATE_SERVER_HTTP_HTTP_CLIENT_H_
