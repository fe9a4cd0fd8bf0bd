#ifndef OBJGATE_TOOLS_REFSTORE_OBJECT_FILE_H_
#define OBJGATE_TOOLS_REFSTORE_OBJECT_FILE_H_

// The on-disk form of one stored object: a single file, so that the bytes and what
// describes them appear and disappear together with one rename or unlink.
//
//   [object bytes][metadata][u32 metadata length][8-byte magic]
//   magic "RSOBJ02\n": metadata: u64 size, i64 last-modified (Unix microseconds),
//             64 bytes SHA-256 hex, u32 CRC32C, u32 + content type, u32 + key
//   magic "RSOBJ01\n": the same without the CRC32C, as objects were written before the
//             store kept one. They are still read, and an object without a CRC32C is
//             still written so, so that the magic alone says which layout follows.
//
// Integers are little-endian. The metadata trails the bytes because an upload's size
// and hashes are known only once its last byte has arrived.

#include <cstdint>
#include <optional>
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
  // CRC32C (Castagnoli) of the bytes, so that a reader can verify them cheaply; unset for
  // an object stored before the store kept one.
  std::optional<uint32_t> crc32c;
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
