#ifndef OBJGATE_TOOLS_REFSTORE_OBJECT_FILE_H_
#define OBJGATE_TOOLS_REFSTORE_OBJECT_FILE_H_

// The on-disk form of one stored object: a single file, so that the bytes and what
// describes them appear and disappear together with one rename or unlink.
//
//   [object bytes][metadata][u32 metadata length][8-byte magic "RSOBJ01\n"]
//   metadata: u64 size, i64 last-modified (Unix microseconds), 64 bytes SHA-256 hex,
//             u32 + content type, u32 + key
//
// Integers are little-endian. The metadata trails the bytes because an upload's size
// and hash are known only once its last byte has arrived.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace objgate::refstore {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  // Lowercase hex SHA-256 of the bytes. It is also the ETag: it changes exactly when the
  // bytes change.
  std::string sha256;
  std::string content_type;
  absl::Time last_modified;
};

// The bytes to append after the object's bytes.
std::string EncodeObjectTrailer(const ObjectInfo& info);

// Reads and checks the trailer of the object file open as `fd`. DATA_LOSS if the file is
// not a whole object file.
absl::StatusOr<ObjectInfo> ReadObjectTrailer(int fd);

}  // namespace objgate::refstore

#endif  // OBJGATE_TOOLS_REFSTORE_OBJECT_FILE_H_
