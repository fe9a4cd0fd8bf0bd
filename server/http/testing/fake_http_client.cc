#include "server/http/testing/fake_http_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace objgate {

void FakeHttpClient::Enqueue(FakeHttpAnswer answer) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(answer));
}

void FakeHttpClient::SetHandler(Handler handler) {
  absl::MutexLock lock(&mu_);
  handler_ = std::move(handler);
}

absl::Status FakeHttpClient::Perform(const HttpRequest& request, ResponseSink& sink) {
  RecordedHttpRequest recorded;
  recorded.method = request.method;
  recorded.url = request.url;
  recorded.headers = request.headers;
  recorded.body_size = request.body_size;
  recorded.count_sends = request.count_sends;
  recorded.has_body = request.body != nullptr;
  absl::Status body_status;
  if (request.body != nullptr) {
    char buffer[16 * 1024];
    while (true) {
      absl::StatusOr<size_t> n = request.body->Read(absl::MakeSpan(buffer));
      if (!n.ok()) {
        body_status = n.status();
        break;
      }
      if (*n == 0) break;
      recorded.body.append(buffer, *n);
    }
  }

  std::optional<FakeHttpAnswer> answer;
  Handler handler;
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(recorded);
    if (!queue_.empty()) {
      answer = std::move(queue_.front());
      queue_.pop_front();
    } else {
      handler = handler_;
    }
  }
  if (!body_status.ok()) return body_status;
  if (request.is_cancelled && request.is_cancelled()) {
    return absl::CancelledError("the caller went away");
  }
  if (!answer && handler) answer = handler(recorded);
  if (!answer) {
    return absl::InternalError(
        absl::StrCat("FakeHttpClient: no answer scripted for ", request.method, " ", request.url));
  }
  if (!answer->error.ok()) return answer->error;

  HttpResponseHead head;
  head.status = answer->status;
  head.headers = answer->headers;
  head.requests_sent = request.count_sends ? answer->requests_sent : 1;
  if (absl::Status status = sink.OnHead(head); !status.ok()) return status;
  absl::string_view body = answer->body;
  for (size_t i = 0; !body.empty(); ++i) {
    const size_t piece = answer->piece_bytes.empty()
                             ? body.size()
                             : answer->piece_bytes[i % answer->piece_bytes.size()];
    const size_t n = std::min(body.size(), std::max<size_t>(piece, 1));
    if (absl::Status status = sink.OnBody(body.substr(0, n)); !status.ok()) return status;
    body.remove_prefix(n);
  }
  return answer->error_after_body;
}

std::vector<RecordedHttpRequest> FakeHttpClient::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

FakeHttpAnswer JsonAnswer(int status, std::string body) {
  FakeHttpAnswer answer;
  answer.status = status;
  answer.headers.Add("Content-Type", "application/json");
  answer.body = std::move(body);
  return answer;
}

}  // namespace objgate
