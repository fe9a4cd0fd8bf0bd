#ifndef OBJGATE_TOOLS_REFSTORE_STORE_INTERNAL_H_
#define OBJGATE_TOOLS_REFSTORE_STORE_INTERNAL_H_

// What object_store.cc and object_store_uploads.cc share, internal to ObjectStore: the
// file operations its crash safety rests on (whole writes, durable renames, temporary
// files that vanish unless committed) and the checks of what callers pass in.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/byte_stream.h"
#include "tools/refstore/object_store.h"

namespace objgate::refstore {

inline constexpr size_t kCopyBufferBytes = 256 * 1024;

absl::Status ValidateTenantAndKey(absl::string_view tenant, absl::string_view key);
absl::Status CheckPutOptions(const PutOptions& options);

// INTERNAL naming the failed call, the path and errno's text.
absl::Status ErrnoError(absl::string_view what, absl::string_view path);

absl::Status WriteAll(int fd, absl::string_view bytes, absl::string_view path);

// Makes a rename or unlink in `dir` durable.
absl::Status SyncDirectory(const std::string& dir);

// Succeeds if `dir` exists already.
absl::Status MakeDirectory(const std::string& dir);

// A file being written under tmp/; removed unless Commit renames it into place.
class TempFile {
 public:
  static absl::StatusOr<TempFile> Create(const std::string& dir);
  TempFile(TempFile&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile();

  absl::Status Write(absl::string_view bytes) { return WriteAll(fd_, bytes, path_); }
  absl::Status SyncAndClose();
  // Renames the file over `final_path`; the caller syncs that directory.
  absl::Status Commit(const std::string& final_path);

 private:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_;
  std::string path_;
};

// What WriteBody wrote.
struct WrittenBody {
  uint64_t size = 0;
  std::string sha256;
  uint32_t crc32c = 0;
};

// Streams `body` into `temp`, hashing it (SHA-256 and CRC32C), and asks `check_size` about the size
// so far before each write, so that an oversized chunked body stops early; any error stops it.
absl::StatusOr<WrittenBody> WriteBody(ByteSource& body, TempFile& temp,
                                      const std::function<absl::Status(uint64_t)>& check_size);

// INVALID_ARGUMENT when a SHA-256 was `expected` (hex, either case) and `what` (the
// received bytes, a part's bytes) hash to another.
absl::Status CheckExpectedSha256(const std::optional<std::string>& expected,
                                 const std::string& actual, absl::string_view what);

// INVALID_ARGUMENT when a CRC32C was `expected` and `what` has another.
absl::Status CheckExpectedCrc32c(const std::optional<uint32_t>& expected, uint32_t actual,
                                 absl::string_view what);

// Replaces `final_path` with `contents` whole or not at all, durably: a temporary file in
// `tmp_dir` (on the same file system), fsynced, renamed, and its directory synced.
absl::Status WriteFileAtomically(const std::string& tmp_dir, const std::string& final_path,
                                 absl::string_view contents);

}  // namespace objgate::refstore

#endif  // OBJGATE_TOOLS_REFSTORE_STORE_INTERNAL_H_
