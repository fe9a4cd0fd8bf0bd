#ifndef OBJGATE_TESTS_SUPPORT_HTTP_CLIENT_H_
#define OBJGATE_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace objgate::test_support {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpCall {
  std::string method = "GET";
  // Path and query, already encoded: "/download?key=" + UrlEncode(key).
  std::string target;
  HeaderList headers;
  std::string body;
  // Streams the request body instead of `body`: fills `buffer` and returns how many
  // bytes it wrote, 0 at the end.
  std::function<size_t(char* buffer, size_t capacity)> body_source;
  // With body_source: sent as Content-Length; without it the body goes chunked.
  std::optional<uint64_t> body_size;
  // Receives the response body in pieces instead of HttpResponse::body.
  std::function<void(absl::string_view piece)> body_sink;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  // Of the final response (not of a "100 Continue"), in order.
  HeaderList headers;

  // The first header called `name`, compared without regard to case.
  std::optional<std::string> Header(absl::string_view name) const;
};

// A small libcurl client for tests that talk to a real server over loopback. Each call
// uses its own connection, so one client may be shared by threads. Uploads of a known
// size over 1 MiB, and all chunked ones, go out with "Expect: 100-continue" as libcurl
// sends them in production.
class HttpClient {
 public:
  // `base_url` like "http://127.0.0.1:41234".
  explicit HttpClient(std::string base_url, absl::Duration timeout = absl::Minutes(5));

  // UNAVAILABLE if the exchange failed below HTTP (refused, reset, timed out).
  absl::StatusOr<HttpResponse> Perform(const HttpCall& call) const;

  // Shorthands for calls with a body in memory.
  absl::StatusOr<HttpResponse> Get(std::string target, HeaderList headers = {}) const;
  absl::StatusOr<HttpResponse> Put(std::string target, std::string body,
                                   HeaderList headers = {}) const;
  absl::StatusOr<HttpResponse> Delete(std::string target, HeaderList headers = {}) const;

 private:
  std::string base_url_;
  absl::Duration timeout_;
};

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_SUPPORT_HTTP_CLIENT_H_
