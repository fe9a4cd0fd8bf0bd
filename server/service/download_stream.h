#ifndef OBJGATE_SERVER_SERVICE_DOWNLOAD_STREAM_H_
#define OBJGATE_SERVER_SERVICE_DOWNLOAD_STREAM_H_

#include <cstdint>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include "absl/status/status.h"
#include "common/sha256.h"
#include "server/upstream/upstream.h"
#include "storage/v1/storage.pb.h"

namespace objgate {

// How a download's trailer checksum comes about.
enum class DownloadChecksums {
  // Every byte is hashed; a whole object whose upstream declared a SHA-256 must match it
  // (DATA_LOSS otherwise), so even a caller that ignores the trailer cannot take
  // corrupted bytes for good ones.
  kVerify,
  // A whole object whose upstream declared a SHA-256 is not hashed: the trailer carries
  // the declaration and the caller checks the bytes against it (the project's clients
  // do), which catches corruption anywhere from the store to the caller. Saves the
  // gateway its SHA-256 work, about 0.6 CPU-seconds per GiB. Ranges and undeclared
  // objects are hashed as ever.
  kPassThroughDeclared,
};

// Writes a download to the caller as Download messages: the metadata first, then the
// bytes in chunks of `chunk_bytes`, then (from Finish) the trailer. Writes block while the
// caller is slower than the upstream, which in turn stops reading the upstream.
class DownloadStream : public DownloadSink {
 public:
  DownloadStream(grpc::ServerWriterInterface<storage::v1::DownloadResponse>& writer,
                 std::string key, size_t chunk_bytes,
                 DownloadChecksums checksums = DownloadChecksums::kVerify);

  absl::Status OnHead(const DownloadHead& head) override;
  absl::Status OnData(absl::string_view bytes) override;

  // After the upstream delivered everything: sends the rest and the trailer, once the
  // length and, for a whole object with a declared checksum under kVerify, the SHA-256
  // check out (DATA_LOSS otherwise, and no trailer).
  absl::Status Finish();

  int64_t bytes_sent() const { return bytes_sent_; }

 private:
  absl::Status Send(absl::string_view bytes);
  // Sends pending_ as a chunk and empties it.
  absl::Status SendPending();
  bool IsWholeDeclaredObject() const;

  grpc::ServerWriterInterface<storage::v1::DownloadResponse>& writer_;
  const std::string key_;
  const size_t chunk_bytes_;
  const DownloadChecksums checksums_;
  DownloadHead head_;
  bool head_sent_ = false;
  bool hashing_ = true;  // false when the trailer passes the upstream's declaration on
  storage::v1::DownloadResponse message_;
  std::string pending_;  // bytes not yet a full chunk
  int64_t bytes_sent_ = 0;
  Sha256 hash_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_DOWNLOAD_STREAM_H_
