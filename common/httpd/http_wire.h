#ifndef OBJGATE_COMMON_HTTPD_HTTP_WIRE_H_
#define OBJGATE_COMMON_HTTPD_HTTP_WIRE_H_

// HTTP/1.1 on the wire: the request head and the two body framings. Kept apart from
// the socket code so that every parsing rule is tested on plain strings.
//
// Errors follow one convention, which the server turns into a response:
//   kInvalidArgument    a malformed message (400)
//   kResourceExhausted  a head larger than allowed (431)
//   kUnimplemented      a transfer coding other than chunked (501)
//   kOutOfRange         the peer closed the connection before sending a byte
//   kUnavailable        the peer closed the connection in the middle of a message
//   kDeadlineExceeded   the peer sent nothing for too long (from the raw reader)

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/byte_stream.h"
#include "common/httpd/http_message.h"

namespace objgate::httpd {

// Bytes from a connection, buffered only as much as finding a delimiter needs, so that
// bodies pass from the socket to the handler's buffer without an extra copy.
class InputBuffer {
 public:
  // Reads up to `capacity` bytes; 0 means end of stream.
  using RawRead = std::function<absl::StatusOr<size_t>(char* buffer, size_t capacity)>;

  explicit InputBuffer(RawRead raw_read) : raw_read_(std::move(raw_read)) {}

  // Returns the bytes before the next `delimiter` and consumes both. Fails with
  // kResourceExhausted when `max_bytes` arrive without the delimiter.
  absl::StatusOr<std::string> ReadUntil(absl::string_view delimiter, size_t max_bytes);

  // Buffered bytes first, then straight from the connection; 0 at end of stream.
  absl::StatusOr<size_t> ReadSome(char* buffer, size_t capacity);

 private:
  absl::Status Fill(size_t max_bytes);

  RawRead raw_read_;
  std::string buffer_;
  size_t start_ = 0;
};

// Parses a request head (everything before the blank line, without it).
absl::StatusOr<RequestHead> ParseRequestHead(absl::string_view head);

// True if the connection may carry another request after this one.
bool WantsKeepAlive(const RequestHead& request);

// True if the client waits for "100 Continue" before sending the body.
bool ExpectsContinue(const RequestHead& request);

// The body of one request, decoded from its framing.
class BodyDecoder : public ByteSource {
 public:
  // The Content-Length, or nullopt for a chunked body.
  virtual std::optional<uint64_t> declared_size() const = 0;
  // True once the whole body, and nothing beyond it, has been consumed.
  virtual bool finished() const = 0;
};

// The decoder that the request's Content-Length or Transfer-Encoding asks for; a request
// with neither has an empty body. Refuses ambiguous framing, which could smuggle a
// second request past a proxy.
absl::StatusOr<std::unique_ptr<BodyDecoder>> MakeBodyDecoder(const RequestHead& request,
                                                             InputBuffer& input);

}  // namespace objgate::httpd

#endif  // OBJGATE_COMMON_HTTPD_HTTP_WIRE_H_
