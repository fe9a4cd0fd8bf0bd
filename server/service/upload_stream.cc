#include "server/service/upload_stream.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/crc32c.h"

namespace objgate {

UploadStream::UploadStream(grpc::ServerReaderInterface<storage::v1::UploadRequest>& reader,
                           std::function<bool()> is_cancelled, std::optional<int64_t> declared_size,
                           std::string expected_sha256, Unfinished unfinished, Hashing hashing)
    : reader_(reader),
      is_cancelled_(std::move(is_cancelled)),
      declared_size_(declared_size),
      expected_sha256_(std::move(expected_sha256)),
      unfinished_(unfinished),
      hashing_(hashing) {}

absl::Status UploadStream::Prime() {
  if (primed_) return absl::OkStatus();
  primed_ = true;
  absl::StatusOr<bool> more = ReceiveNext();
  if (!more.ok()) return more.status();
  if (!*more) {
    ended_ = true;
    return VerifyComplete();
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> UploadStream::Read(absl::Span<char> buffer) {
  if (absl::Status primed = Prime(); !primed.ok()) return primed;
  while (ready_offset_ == ready_.size()) {
    if (ended_ && held_.empty()) return 0;
    if (absl::Status advanced = Advance(); !advanced.ok()) return advanced;
  }
  const size_t n = std::min(buffer.size(), ready_.size() - ready_offset_);
  std::memcpy(buffer.data(), ready_.data() + ready_offset_, n);
  ready_offset_ += n;
  return n;
}

absl::Status UploadStream::Advance() {
  ready_.swap(held_);
  ready_offset_ = 0;
  held_.clear();
  if (ended_) return absl::OkStatus();
  absl::StatusOr<bool> more = ReceiveNext();
  if (!more.ok()) return more.status();
  if (!*more) {
    ended_ = true;
    return VerifyComplete();
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> UploadStream::ReceiveNext() {
  while (!finish_seen_) {
    if (!reader_.Read(&message_)) {
      // A stream that breaks ends here just like one the caller closed, and cancellation
      // may not be visible yet: only finish_write or the declared size marks a whole body.
      if (is_cancelled_()) {
        return absl::CancelledError(
            absl::StrCat("caller cancelled the upload after ", bytes_received_, " bytes"));
      }
      if (declared_size_) return false;  // VerifyComplete checks the size
      if (unfinished_ == Unfinished::kPause) return false;
      return absl::InvalidArgumentError(
          absl::StrCat("upload stream ended after ", bytes_received_,
                       " bytes without finish_write or a declared size; nothing was stored"));
    }
    if (message_.has_spec() || message_.has_upload_id()) {
      return absl::InvalidArgumentError(
          "upload stream carries spec or upload_id after its first message");
    }
    finish_seen_ = message_.finish_write();
    std::string* data = message_.mutable_data();
    ++messages_received_;
    const uint32_t crc32c = Crc32c(*data);
    if (message_.has_crc32c() && message_.crc32c() != crc32c) {
      return absl::DataLossError(
          absl::StrCat("upload message ", messages_received_, " (bytes ", bytes_received_, " to ",
                       bytes_received_ + static_cast<int64_t>(data->size()), ") has CRC32C ",
                       Crc32cHex(crc32c), " but declares ", Crc32cHex(message_.crc32c()),
                       ": corrupted on its way; nothing was stored"));
    }
    if (data->empty()) continue;
    crc32c_ = Crc32cCombine(crc32c_, crc32c, data->size());
    bytes_received_ += static_cast<int64_t>(data->size());
    if (declared_size_ && bytes_received_ > *declared_size_) {
      return absl::InvalidArgumentError(
          absl::StrCat("upload sent more than the declared size of ", *declared_size_, " bytes"));
    }
    if (hashing_ == Hashing::kSha256) hash_.Update(*data);
    held_.swap(*data);
    return true;
  }
  return false;
}

absl::Status UploadStream::VerifyComplete() {
  if (hashing_ == Hashing::kSha256) sha256_ = hash_.HexDigest();
  if (declared_size_ && bytes_received_ != *declared_size_) {
    return absl::InvalidArgumentError(
        absl::StrCat("upload declared ", *declared_size_, " bytes but sent ", bytes_received_));
  }
  if (!expected_sha256_.empty() && expected_sha256_ != sha256_) {
    return absl::InvalidArgumentError(
        absl::StrCat("upload's SHA-256 is ", sha256_, ", not the declared ", expected_sha256_));
  }
  return absl::OkStatus();
}

}  // namespace objgate
