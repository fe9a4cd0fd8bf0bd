#ifndef OBJGATE_COMMON_BYTE_STREAM_H_
#define OBJGATE_COMMON_BYTE_STREAM_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace objgate {

// The one way bytes are pulled through the project: an upload's body on its way to the
// upstream, a request body on its way to an HTTP handler, a file or a caller's stream in
// the client. A source that has nothing yet blocks, which is how a slow producer slows
// the consumer instead of piling bytes up.
class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Copies up to `buffer.size()` bytes into `buffer` and returns how many; 0 means the
  // stream ended cleanly. An error means the stream is broken (a caller that went away, a
  // body that failed its checksum, a malformed chunk) and no more bytes will come; whoever
  // was sending them on must then abort, so that nothing incomplete is taken for whole.
  virtual absl::StatusOr<size_t> Read(absl::Span<char> buffer) = 0;
};

// The one way bytes are pushed: a download's destination in the client. Write may block,
// which is how a slow consumer slows the producer. An error stops the transfer.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual absl::Status Write(absl::string_view bytes) = 0;
};

// A ByteSource over bytes in memory that outlive it.
class StringByteSource final : public ByteSource {
 public:
  explicit StringByteSource(absl::string_view bytes) : bytes_(bytes) {}

  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    const size_t n = std::min(buffer.size(), bytes_.size() - offset_);
    bytes_.copy(buffer.data(), n, offset_);
    offset_ += n;
    return n;
  }
  // Back to the first byte.
  void Rewind() { offset_ = 0; }

 private:
  const absl::string_view bytes_;
  size_t offset_ = 0;
};

// A ByteSink that keeps everything in memory.
class StringByteSink final : public ByteSink {
 public:
  absl::Status Write(absl::string_view bytes) override {
    bytes_.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  const std::string& bytes() const { return bytes_; }
  std::string Take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

}  // namespace objgate

#endif  // OBJGATE_COMMON_BYTE_STREAM_H_
