#ifndef OBJGATE_SERVER_HTTPD_BYTE_SOURCE_H_
#define OBJGATE_SERVER_HTTPD_BYTE_SOURCE_H_

#include <cstddef>

#include "absl/status/statusor.h"

namespace objgate::httpd {

// A stream of bytes read in pieces, so that an object of any size passes through a fixed
// buffer: a request body on its way to a handler, a file in tests.
class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Copies up to `capacity` bytes into `buffer` and returns how many; 0 means the stream
  // ended cleanly. An error means the stream is broken (a client that went away, a
  // malformed chunk) and no more bytes will come.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t capacity) = 0;
};

}  // namespace objgate::httpd

#endif  // OBJGATE_SERVER_HTTPD_BYTE_SOURCE_H_
