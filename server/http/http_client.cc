#include "server/http/http_client.h"

#include <functional>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace objgate {

namespace {

class BufferingSink : public ResponseSink {
 public:
  BufferingSink(BufferedResponse& response, size_t max_body_bytes)
      : response_(response), max_body_bytes_(max_body_bytes) {}

  absl::Status OnHead(const HttpResponseHead& head) override {
    response_.status = head.status;
    response_.headers = head.headers;
    response_.requests_sent = head.requests_sent;
    return absl::OkStatus();
  }

  absl::Status OnBody(absl::string_view bytes) override {
    if (response_.body.size() + bytes.size() > max_body_bytes_) {
      return absl::InternalError(
          absl::StrCat("upstream answer is larger than ", max_body_bytes_, " bytes"));
    }
    response_.body.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }

 private:
  BufferedResponse& response_;
  const size_t max_body_bytes_;
};

// Collects an answer for StartBuffered and hands it over when done; deletes itself then.
class AsyncBufferingSink : public AsyncResponseSink {
 public:
  AsyncBufferingSink(size_t max_body_bytes,
                     std::function<void(absl::StatusOr<BufferedResponse>)> done)
      : buffering_(response_, max_body_bytes), done_(std::move(done)) {}

  absl::Status OnHead(const HttpResponseHead& head) override { return buffering_.OnHead(head); }
  absl::Status OnBody(absl::string_view bytes) override { return buffering_.OnBody(bytes); }
  void OnDone(absl::Status status) override {
    std::unique_ptr<AsyncBufferingSink> self(this);
    if (!status.ok()) return done_(std::move(status));
    done_(std::move(response_));
  }

 private:
  BufferedResponse response_;
  BufferingSink buffering_;
  std::function<void(absl::StatusOr<BufferedResponse>)> done_;
};

}  // namespace

absl::StatusOr<BufferedResponse> PerformBuffered(HttpClient& client, const HttpRequest& request,
                                                 size_t max_body_bytes) {
  BufferedResponse response;
  BufferingSink sink(response, max_body_bytes);
  absl::Status status = client.Perform(request, sink);
  if (!status.ok()) return status;
  return response;
}

void StartBuffered(AsyncHttpClient& client, HttpRequest request, size_t max_body_bytes,
                   std::function<void(absl::StatusOr<BufferedResponse>)> done) {
  auto* sink = new AsyncBufferingSink(max_body_bytes, std::move(done));
  client.Start(std::move(request), *sink);
}

}  // namespace objgate
