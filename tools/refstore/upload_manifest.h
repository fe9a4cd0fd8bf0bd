#ifndef OBJGATE_TOOLS_REFSTORE_UPLOAD_MANIFEST_H_
#define OBJGATE_TOOLS_REFSTORE_UPLOAD_MANIFEST_H_

// The on-disk description of one multipart upload, uploads/<tenant>/<id>/manifest: what
// the upload will store, and once it completed, what it stored. A text file, one field a
// line, values C-escaped so that keys may hold any byte:
//
//   refstore-upload 1
//   key "logs/2024\n01"            (the escaped value, without the quotes)
//   content_type text/plain
//   expected_sha256 <64 hex>       (optional)
//   expected_crc32c <8 hex>        (optional)
//   if_none_match_any              (optional)
//   if_match "abc..."              (optional)
//   created <Unix microseconds>
//   last_activity <Unix microseconds>
//   complete <size> <sha256 hex> <crc32c, 8 hex>   (once completed; records written
//                                                   before the store kept CRC32Cs lack it)

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace objgate::refstore {

struct UploadManifest {
  std::string key;
  std::string content_type;
  std::optional<std::string> expected_sha256;
  std::optional<uint32_t> expected_crc32c;
  bool if_none_match_any = false;
  std::optional<std::string> if_match;
  absl::Time created;
  // Of the start or the completion; a part file's own time counts too (object_store.h).
  absl::Time last_activity;
  // The object the upload made, once it completed.
  bool complete = false;
  uint64_t size = 0;
  std::string sha256;
  std::optional<uint32_t> crc32c;
};

std::string EncodeUploadManifest(const UploadManifest& manifest);

// DATA_LOSS if `text` is not a whole manifest.
absl::StatusOr<UploadManifest> DecodeUploadManifest(absl::string_view text);

}  // namespace objgate::refstore

#endif  // OBJGATE_TOOLS_REFSTORE_UPLOAD_MANIFEST_H_
