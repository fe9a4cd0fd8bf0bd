#ifndef OBJGATE_SERVER_SERVICE_DOWNLOAD_STREAM_H_
#define OBJGATE_SERVER_SERVICE_DOWNLOAD_STREAM_H_

#include <grpcpp/support/slice.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/sha256.h"
#include "server/service/serialized_writer.h"
#include "server/upstream/upstream.h"
#include "storage/v1/storage.pb.h"

namespace objgate {

// How a download's bytes are checked against what the upstream declared, and how the
// trailer's SHA-256 comes about.
enum class DownloadChecksums {
  // A whole object must match the upstream's declaration (DATA_LOSS otherwise), so even a
  // caller that ignores the trailer cannot take corrupted bytes for good ones. Where the
  // upstream declared a CRC32C and a SHA-256, the bytes are checked against the CRC32C,
  // which the gateway computes anyway, and the trailer carries the declared SHA-256: the
  // check costs a twentieth of hashing. Otherwise every byte is hashed and checked
  // against the declared SHA-256.
  kVerify,
  // A whole object whose upstream declared a SHA-256 is not hashed: the trailer carries
  // the declaration and the caller checks the bytes against it (the project's clients
  // do), which catches corruption anywhere from the store to the caller. Saves the
  // gateway its SHA-256 work, about 0.6 CPU-seconds per GiB. Ranges and undeclared
  // objects are hashed as ever.
  kPassThroughDeclared,
};

// Writes a download to the caller as Download messages: the metadata first, then the
// bytes in chunks of `chunk_bytes`, each with its CRC32C, then (from Finish) the trailer.
// Writes block while the caller is slower than the upstream, which in turn stops reading
// the upstream.
//
// Each byte is copied once on its way through: from the upstream's buffer into the wire
// form of its data message, a slice laid out as the message's field header, the bytes and
// the `crc32c` field, which gRPC then sends by reference. The CRC32C is computed as the
// bytes are copied, while they are in cache.
class DownloadStream : public DownloadSink {
 public:
  DownloadStream(SerializedWriter& writer, std::string key, size_t chunk_bytes,
                 DownloadChecksums checksums = DownloadChecksums::kVerify);

  absl::Status OnHead(const DownloadHead& head) override;
  absl::Status OnData(absl::string_view bytes) override;

  // After the upstream delivered everything: sends the rest and the trailer, once the
  // length and, for a whole object with a declared checksum under kVerify, the SHA-256
  // check out (DATA_LOSS otherwise, and no trailer).
  absl::Status Finish();

  int64_t bytes_sent() const { return bytes_sent_; }

 private:
  // Sends the chunk being filled as a data message.
  absl::Status SendChunk();
  bool IsWholeObject() const;
  bool IsWholeDeclaredObject() const;

  SerializedWriter& writer_;
  const std::string key_;
  const size_t chunk_bytes_;
  const DownloadChecksums checksums_;
  DownloadHead head_;
  bool head_sent_ = false;
  bool hashing_ = true;  // false when the trailer passes the upstream's declaration on
  // The data message being filled: room for its field header, up to chunk_bytes_ of data
  // and the crc32c field. Allocated when the first byte of a chunk arrives.
  grpc::Slice chunk_;
  size_t chunk_capacity_ = 0;  // bytes of data it has room for
  size_t chunk_fill_ = 0;
  uint32_t chunk_crc32c_ = 0;
  int64_t bytes_sent_ = 0;
  uint32_t stream_crc32c_ = 0;
  Sha256 hash_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_DOWNLOAD_STREAM_H_
