#ifndef OBJGATE_SERVER_UPSTREAM_RESUMABLE_UPLOAD_H_
#define OBJGATE_SERVER_UPSTREAM_RESUMABLE_UPLOAD_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/byte_stream.h"
#include "server/upstream/upstream.h"

namespace objgate {

// Resumable uploads (storage.proto, StartResumableUpload), built once over any upstream's
// multipart uploads: the bytes go up in fixed parts as they arrive, the store keeps them,
// and the caller holds a ResumableUpload naming what the store cannot keep for it. The
// gateway keeps nothing, so any gateway in front of the same store continues an upload
// another started.

// What a caller holds between the calls of one resumable upload, as the opaque
// `upload_id` of the API (EncodeResumableUpload). Everything the completion needs that the
// store does not keep is here: the key (so the id is bound to it), the part size, and the
// spec's declared size, checksum and conditions (S3 takes conditions only with the
// completion).
struct ResumableUpload {
  std::string key;
  // The store's multipart upload id.
  std::string store_upload_id;
  int64_t part_bytes = 0;
  std::optional<int64_t> size;
  // The whole object's declared SHA-256, reported once complete (S3 answers none).
  std::string sha256;
  std::string if_none_match;
  std::string if_match;
};

std::string EncodeResumableUpload(const ResumableUpload& upload);
// INVALID_ARGUMENT, naming `upload_id`, for anything EncodeResumableUpload did not make.
absl::StatusOr<ResumableUpload> DecodeResumableUpload(absl::string_view upload_id);

// Starts the store's multipart upload for `spec`, in parts of `part_bytes`.
absl::StatusOr<ResumableUpload> StartResumableUpload(Upstream& upstream, const CallContext& context,
                                                     const UploadSpec& spec, int64_t part_bytes);

struct ResumableUploadStatus {
  // Bytes held: the whole parts from the first without a gap (a part of another size is
  // only ever the last, sent with the completion; it is sent again if that failed).
  int64_t persisted_size = 0;
  bool complete = false;
  // Once complete: what the upload made.
  StoredObject object;
};

// NOT_FOUND when the store has no such upload for the caller's tenant.
absl::StatusOr<ResumableUploadStatus> QueryResumableUpload(Upstream& upstream,
                                                           const CallContext& context,
                                                           const ResumableUpload& upload);

// Continues `upload` with `body`, whose first byte is the object's byte `write_offset`:
// skips what the store holds already, stores each part once it is whole, and, when
// `finished()` says the caller sent its last byte (checked once `body` ended), stores the
// rest and completes the object. A body that ends unfinished keeps the whole parts and
// drops the rest. OUT_OF_RANGE when `write_offset` is past the persisted size. A body
// error is returned; the parts stored before it stay.
absl::StatusOr<ResumableUploadStatus> ContinueResumableUpload(
    Upstream& upstream, const CallContext& context, const ResumableUpload& upload,
    int64_t write_offset, ByteSource& body, const std::function<bool()>& finished);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_RESUMABLE_UPLOAD_H_
