#include "server/upstream/streamed_copy.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/retry/repeat_rules.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"

namespace objgate {
namespace {

std::string Quote(absl::string_view what) { return absl::StrCat("\"", what, "\""); }

// Keeps one window of a download: its head and its bytes.
class WindowSink : public DownloadSink {
 public:
  explicit WindowSink(std::string& bytes) : bytes_(bytes) { bytes_.clear(); }

  absl::Status OnHead(const DownloadHead& head) override {
    head_ = head;
    bytes_.reserve(static_cast<size_t>(head.length));
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view bytes) override {
    bytes_.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }

  const std::optional<DownloadHead>& head() const { return head_; }

 private:
  std::string& bytes_;
  std::optional<DownloadHead> head_;
};

// The source object as a ByteSource: one window in memory, the next read when it is used
// up, each checked to continue the first one's version.
class WindowedSource : public ByteSource {
 public:
  WindowedSource(Upstream& upstream, const CallContext& context, const CopySpec& spec,
                 int64_t window_bytes)
      : upstream_(upstream), context_(context), spec_(spec), window_bytes_(window_bytes) {}

  // Reads the first window; after it, head() describes the source.
  absl::Status Open() {
    DownloadSpec first{spec_.source_key, 0, window_bytes_, spec_.source_if_match};
    absl::Status status = ReadWindow(first);
    if (absl::IsOutOfRange(status)) {
      // An empty object has no first byte; read whole, it is nothing.
      first.length.reset();
      status = ReadWindow(first);
    }
    if (absl::IsFailedPrecondition(status) && !spec_.source_if_match.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("copy of ", Quote(spec_.source_key), ": its etag is not ",
                       Quote(spec_.source_if_match), " (source_if_match); nothing was copied"));
    }
    if (!status.ok()) return status;
    head_ = *sink_head_;
    const bool one_window = head_.length == head_.object_size;
    if (!one_window && !CanResumeDownload({head_.etag, head_.object_sha256, true})) {
      return absl::FailedPreconditionError(absl::StrCat(
          "copy of ", Quote(spec_.source_key), ": the store gives the ", head_.object_size,
          "-byte source no etag and no checksum, so the gateway cannot read it in parts "
          "without risking a mix of two versions"));
    }
    return Accept(head_);
  }

  const DownloadHead& head() const { return head_; }
  // The SHA-256 of the bytes read, once the source has ended.
  const std::string& sha256() const { return sha256_; }

  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    if (used_ == window_.size()) {
      if (position_ == head_.object_size) return 0;
      const int64_t length = std::min(window_bytes_, head_.object_size - position_);
      DownloadSpec next{spec_.source_key, position_, length,
                        head_.etag.empty() ? spec_.source_if_match : head_.etag};
      absl::Status status = ReadWindow(next);
      if (absl::IsFailedPrecondition(status) || absl::IsNotFound(status)) return Changed();
      if (!status.ok()) return status;
      if (sink_head_->object_size != head_.object_size || sink_head_->etag != head_.etag ||
          sink_head_->object_sha256 != head_.object_sha256 || sink_head_->offset != position_) {
        return Changed();
      }
      if (absl::Status accepted = Accept(*sink_head_); !accepted.ok()) return accepted;
    }
    const size_t n = std::min(buffer.size(), window_.size() - used_);
    std::memcpy(buffer.data(), window_.data() + used_, n);
    used_ += n;
    return n;
  }

 private:
  absl::Status ReadWindow(const DownloadSpec& spec) {
    WindowSink sink(window_);
    used_ = 0;
    absl::Status status = upstream_.Download(context_, spec, sink);
    sink_head_ = sink.head();
    if (status.ok() && !sink_head_) {
      status = absl::InternalError("the upstream's answer described no object");
    }
    return status;
  }

  // Takes the window just read: hashes it and moves past it.
  absl::Status Accept(const DownloadHead& head) {
    if (static_cast<int64_t>(window_.size()) != head.length) {
      return absl::DataLossError(absl::StrCat("copy of ", Quote(spec_.source_key),
                                              ": the store sent ", window_.size(), " bytes of ",
                                              head.length));
    }
    hash_.Update(window_);
    position_ += head.length;
    // Checked before the last window's bytes go out: a consumer that stops at the size it
    // was told never asks past them.
    if (position_ == head_.object_size) return CheckWhole();
    return absl::OkStatus();
  }

  absl::Status CheckWhole() {
    sha256_ = hash_.HexDigest();
    if (!head_.object_sha256.empty() && sha256_ != head_.object_sha256) {
      return absl::DataLossError(absl::StrCat(
          "copy of ", Quote(spec_.source_key), ": the source's bytes hash to ", sha256_,
          ", not to its stored SHA-256 ", head_.object_sha256, "; nothing was copied"));
    }
    return absl::OkStatus();
  }

  absl::Status Changed() const {
    return MarkRetryable(
        absl::UnavailableError(absl::StrCat("copy of ", Quote(spec_.source_key),
                                            ": the source changed while it was being copied; "
                                            "nothing was copied")));
  }

  Upstream& upstream_;
  const CallContext& context_;
  const CopySpec& spec_;
  const int64_t window_bytes_;
  DownloadHead head_;
  std::optional<DownloadHead> sink_head_;
  std::string window_;
  size_t used_ = 0;
  int64_t position_ = 0;
  Sha256 hash_;
  std::string sha256_;
};

}  // namespace

absl::StatusOr<StoredObject> StreamedCopy(Upstream& upstream, const CallContext& context,
                                          const CopySpec& spec, int64_t window_bytes) {
  WindowedSource source(upstream, context, spec, window_bytes);
  if (absl::Status opened = source.Open(); !opened.ok()) return opened;
  const DownloadHead& head = source.head();
  UploadSpec upload;
  upload.key = spec.destination_key;
  upload.content_type = head.content_type;
  upload.size = head.object_size;
  upload.sha256 = head.object_sha256;
  upload.metadata = head.metadata;
  absl::StatusOr<StoredObject> stored = upstream.Upload(context, upload, source);
  if (!stored.ok()) return stored.status();
  stored->key = spec.destination_key;
  stored->size = head.object_size;
  stored->sha256 = source.sha256();
  return stored;
}

}  // namespace objgate
