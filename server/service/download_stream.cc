#include "server/service/download_stream.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "server/service/timestamps.h"

namespace objgate {
namespace {

namespace v1 = ::storage::v1;

// A data message's wire form: DownloadResponse.data (field 2, length-delimited) and
// DownloadResponse.crc32c (field 4, fixed32).
constexpr uint8_t kDataTag = (2 << 3) | 2;
constexpr uint8_t kCrc32cTag = (4 << 3) | 5;
// The data field's tag and its length as a varint of at most 5 bytes.
constexpr size_t kHeaderRoom = 6;
constexpr size_t kCrc32cFieldBytes = 5;

absl::Status CallerGone() {
  return absl::CancelledError("the caller stopped reading the download");
}

}  // namespace

DownloadStream::DownloadStream(SerializedWriter& writer, std::string key, size_t chunk_bytes,
                               DownloadChecksums checksums)
    : writer_(writer),
      key_(std::move(key)),
      chunk_bytes_(std::max<size_t>(1, chunk_bytes)),
      checksums_(checksums) {}

absl::Status DownloadStream::OnHead(const DownloadHead& head) {
  head_ = head;
  head_sent_ = true;
  // A whole object's declared SHA-256 can go to the caller unhashed when the bytes are
  // checked another way: against the declared CRC32C, or by the caller alone.
  hashing_ = !IsWholeDeclaredObject() ||
             (checksums_ == DownloadChecksums::kVerify && !head.object_crc32c.has_value());
  v1::DownloadResponse message;
  v1::ObjectMetadata* metadata = message.mutable_metadata();
  metadata->set_key(key_);
  metadata->set_size(head.object_size);
  metadata->set_etag(head.etag);
  metadata->set_content_type(head.content_type);
  metadata->set_offset(head.offset);
  metadata->set_length(head.length);
  metadata->set_sha256(head.object_sha256);
  if (head.last_modified) SetTimestamp(*head.last_modified, *metadata->mutable_last_modified());
  metadata->mutable_metadata()->insert(head.metadata.begin(), head.metadata.end());
  return WriteMessage(writer_, message, /*last=*/false) ? absl::OkStatus() : CallerGone();
}

bool DownloadStream::IsWholeObject() const {
  return head_.offset == 0 && head_.length == head_.object_size;
}

bool DownloadStream::IsWholeDeclaredObject() const {
  return IsWholeObject() && !head_.object_sha256.empty();
}

absl::Status DownloadStream::OnData(absl::string_view bytes) {
  if (bytes_sent_ + static_cast<int64_t>(chunk_fill_ + bytes.size()) > head_.length) {
    return absl::DataLossError(absl::StrCat("upstream sent more than the ", head_.length,
                                            " bytes it announced for \"", key_, "\""));
  }
  if (hashing_) hash_.Update(bytes);
  while (!bytes.empty()) {
    if (chunk_fill_ == 0) {
      // No bigger than what is left to send, so that a small object costs a small buffer.
      chunk_capacity_ =
          static_cast<size_t>(std::min<int64_t>(chunk_bytes_, head_.length - bytes_sent_));
      chunk_ = grpc::Slice(kHeaderRoom + chunk_capacity_ + kCrc32cFieldBytes);
    }
    const size_t n = std::min(bytes.size(), chunk_capacity_ - chunk_fill_);
    // A fresh slice of our own: nothing else refers to it until it is written.
    uint8_t* data = const_cast<uint8_t*>(chunk_.begin()) + kHeaderRoom;
    std::memcpy(data + chunk_fill_, bytes.data(), n);
    chunk_crc32c_ = Crc32cExtend(
        chunk_crc32c_, absl::string_view(reinterpret_cast<const char*>(data) + chunk_fill_, n));
    chunk_fill_ += n;
    bytes.remove_prefix(n);
    if (chunk_fill_ == chunk_capacity_) {
      if (absl::Status sent = SendChunk(); !sent.ok()) return sent;
    }
  }
  return absl::OkStatus();
}

absl::Status DownloadStream::SendChunk() {
  uint8_t* base = const_cast<uint8_t*>(chunk_.begin());
  // The field header goes right before the data: the tag, then the length as a varint.
  uint8_t header[kHeaderRoom];
  size_t header_bytes = 0;
  header[header_bytes++] = kDataTag;
  for (uint64_t length = chunk_fill_;; length >>= 7) {
    if (length < 0x80) {
      header[header_bytes++] = static_cast<uint8_t>(length);
      break;
    }
    header[header_bytes++] = static_cast<uint8_t>(length | 0x80);
  }
  const size_t start = kHeaderRoom - header_bytes;
  std::memcpy(base + start, header, header_bytes);
  uint8_t* crc_field = base + kHeaderRoom + chunk_fill_;
  crc_field[0] = kCrc32cTag;
  for (int i = 0; i < 4; ++i) crc_field[1 + i] = static_cast<uint8_t>(chunk_crc32c_ >> (8 * i));
  grpc::Slice message = chunk_.sub(start, kHeaderRoom + chunk_fill_ + kCrc32cFieldBytes);
  chunk_ = grpc::Slice();

  stream_crc32c_ = Crc32cCombine(stream_crc32c_, chunk_crc32c_, chunk_fill_);
  const size_t sent = chunk_fill_;
  chunk_fill_ = 0;
  chunk_crc32c_ = 0;
  if (!writer_.Write(grpc::ByteBuffer(&message, 1), /*last=*/false)) return CallerGone();
  bytes_sent_ += static_cast<int64_t>(sent);
  return absl::OkStatus();
}

absl::Status DownloadStream::Finish() {
  if (!head_sent_) return absl::InternalError("upstream download ended without an answer");
  if (chunk_fill_ > 0) {
    if (absl::Status sent = SendChunk(); !sent.ok()) return sent;
  }
  if (bytes_sent_ != head_.length) {
    return absl::DataLossError(absl::StrCat("upstream sent ", bytes_sent_, " bytes of ",
                                            head_.length, " for \"", key_, "\""));
  }
  // Checked in either mode: the CRC32C is computed for the caller anyway.
  if (IsWholeObject() && head_.object_crc32c && *head_.object_crc32c != stream_crc32c_) {
    return absl::DataLossError(
        absl::StrCat("bytes of \"", key_, "\" have CRC32C ", Crc32cHex(stream_crc32c_),
                     " but the upstream declared ", Crc32cHex(*head_.object_crc32c)));
  }
  const std::string sha256 = hashing_ ? hash_.HexDigest() : head_.object_sha256;
  if (hashing_ && IsWholeDeclaredObject() && head_.object_sha256 != sha256) {
    return absl::DataLossError(absl::StrCat("bytes of \"", key_, "\" hash to ", sha256,
                                            " but the upstream declared ", head_.object_sha256));
  }
  v1::DownloadResponse message;
  v1::DownloadTrailer* trailer = message.mutable_trailer();
  trailer->set_sha256(sha256);
  trailer->set_size(bytes_sent_);
  trailer->set_crc32c(stream_crc32c_);
  // The last message: the writer sends it together with the call's status, in one flush.
  return WriteMessage(writer_, message, /*last=*/true) ? absl::OkStatus() : CallerGone();
}

}  // namespace objgate
