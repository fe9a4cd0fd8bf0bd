#include "server/service/download_stream.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/service/timestamps.h"

namespace objgate {
namespace {

absl::Status CallerGone() {
  return absl::CancelledError("the caller stopped reading the download");
}

}  // namespace

DownloadStream::DownloadStream(grpc::ServerWriterInterface<storage::v1::DownloadResponse>& writer,
                               std::string key, size_t chunk_bytes, DownloadChecksums checksums)
    : writer_(writer),
      key_(std::move(key)),
      chunk_bytes_(std::max<size_t>(1, chunk_bytes)),
      checksums_(checksums) {
  pending_.reserve(chunk_bytes_);
}

absl::Status DownloadStream::OnHead(const DownloadHead& head) {
  head_ = head;
  head_sent_ = true;
  hashing_ = checksums_ == DownloadChecksums::kVerify || !IsWholeDeclaredObject();
  storage::v1::ObjectMetadata* metadata = message_.mutable_metadata();
  metadata->set_key(key_);
  metadata->set_size(head.object_size);
  metadata->set_etag(head.etag);
  metadata->set_content_type(head.content_type);
  metadata->set_offset(head.offset);
  metadata->set_length(head.length);
  metadata->set_sha256(head.object_sha256);
  if (head.last_modified) SetTimestamp(*head.last_modified, *metadata->mutable_last_modified());
  metadata->mutable_metadata()->insert(head.metadata.begin(), head.metadata.end());
  if (!writer_.Write(message_)) return CallerGone();
  return absl::OkStatus();
}

bool DownloadStream::IsWholeDeclaredObject() const {
  return head_.offset == 0 && head_.length == head_.object_size && !head_.object_sha256.empty();
}

absl::Status DownloadStream::OnData(absl::string_view bytes) {
  if (hashing_) hash_.Update(bytes);
  // Whole chunks go out straight from the upstream's buffer; only the remainder waits.
  if (!pending_.empty()) {
    const size_t fill = std::min(bytes.size(), chunk_bytes_ - pending_.size());
    pending_.append(bytes.data(), fill);
    bytes.remove_prefix(fill);
    if (pending_.size() < chunk_bytes_) return absl::OkStatus();
    if (absl::Status sent = SendPending(); !sent.ok()) return sent;
  }
  while (bytes.size() >= chunk_bytes_) {
    if (absl::Status sent = Send(bytes.substr(0, chunk_bytes_)); !sent.ok()) return sent;
    bytes.remove_prefix(chunk_bytes_);
  }
  pending_.append(bytes.data(), bytes.size());
  return absl::OkStatus();
}

absl::Status DownloadStream::Send(absl::string_view bytes) {
  message_.mutable_data()->assign(bytes.data(), bytes.size());
  if (!writer_.Write(message_)) return CallerGone();
  bytes_sent_ += static_cast<int64_t>(bytes.size());
  return absl::OkStatus();
}

absl::Status DownloadStream::SendPending() {
  // Swapped in and out rather than copied: the two buffers take turns.
  message_.mutable_data()->swap(pending_);
  const bool written = writer_.Write(message_);
  if (written) bytes_sent_ += static_cast<int64_t>(message_.data().size());
  message_.mutable_data()->swap(pending_);
  pending_.clear();
  return written ? absl::OkStatus() : CallerGone();
}

absl::Status DownloadStream::Finish() {
  if (!head_sent_) return absl::InternalError("upstream download ended without an answer");
  if (!pending_.empty()) {
    if (absl::Status sent = SendPending(); !sent.ok()) return sent;
  }
  if (bytes_sent_ != head_.length) {
    return absl::DataLossError(absl::StrCat("upstream sent ", bytes_sent_, " bytes of ",
                                            head_.length, " for \"", key_, "\""));
  }
  const std::string sha256 = hashing_ ? hash_.HexDigest() : head_.object_sha256;
  if (hashing_ && IsWholeDeclaredObject() && head_.object_sha256 != sha256) {
    return absl::DataLossError(absl::StrCat("bytes of \"", key_, "\" hash to ", sha256,
                                            " but the upstream declared ", head_.object_sha256));
  }
  storage::v1::DownloadTrailer* trailer = message_.mutable_trailer();
  trailer->set_sha256(sha256);
  trailer->set_size(bytes_sent_);
  // The last message: the writer sends it together with the call's status, in one flush.
  if (!writer_.Write(message_, grpc::WriteOptions().set_last_message())) return CallerGone();
  return absl::OkStatus();
}

}  // namespace objgate
