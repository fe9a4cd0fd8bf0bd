#ifndef OBJGATE_COMMON_HTTPD_HTTP_MESSAGE_H_
#define OBJGATE_COMMON_HTTPD_HTTP_MESSAGE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/byte_stream.h"
#include "common/http_headers.h"

namespace objgate::httpd {

// A request as the handler sees it: the head only. The body comes through a BodyReader.
struct RequestHead {
  std::string method;
  // Percent-decoded path, without the query.
  std::string path;
  // Query parameters, percent- and '+'-decoded. A parameter given twice is refused
  // before the handler runs, so there is exactly one value per name.
  absl::flat_hash_map<std::string, std::string> query;
  HttpHeaders headers;
  // 0 for HTTP/1.0, 1 for HTTP/1.1.
  int minor_version = 1;

  std::optional<absl::string_view> QueryParam(absl::string_view name) const;
};

// The request body, read as a stream. The first Read answers a client's
// "Expect: 100-continue" with "100 Continue", so a handler that refuses a request
// without reading its body never makes the client send it.
class BodyReader : public ByteSource {
 public:
  // The Content-Length, or nullopt for a chunked body.
  virtual std::optional<uint64_t> declared_size() const = 0;
  // Body bytes delivered to the handler so far.
  virtual uint64_t bytes_read() const = 0;
};

// Sends one response. Call Begin once, then Write the body in pieces; the server
// finishes the message when the handler returns. For a HEAD request the body is dropped.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // Sends the status line and headers. With a `content_length` the body must be exactly
  // that long; without one it is sent chunked. Do not pass framing headers yourself.
  virtual absl::Status Begin(int status, const HttpHeaders& headers,
                             std::optional<uint64_t> content_length) = 0;
  virtual absl::Status Write(absl::string_view bytes) = 0;

  // The status passed to Begin, or 0 before it.
  virtual int status() const = 0;
  virtual uint64_t body_bytes_written() const = 0;

  // Begin and Write for a body that is already in memory.
  absl::Status Send(int status, const HttpHeaders& headers, absl::string_view body);
};

// Answers one request. Runs on the connection's thread; many run at once.
using HttpHandler =
    std::function<void(const RequestHead& request, BodyReader& body, ResponseWriter& response)>;

// The body of an error answer, {"error": message}, as the REST dialect has it.
std::string ErrorJson(absl::string_view message);

// "Not Found" for 404 and so on; "Unknown" for codes this server never sends.
absl::string_view HttpReasonPhrase(int status);

}  // namespace objgate::httpd

#endif  // OBJGATE_COMMON_HTTPD_HTTP_MESSAGE_H_
