#include "server/upstream/retrying_upstream.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/retry/repeat_rules.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"
#include "server/upstream/object_head.h"
#include "server/upstream/retry_call.h"

namespace objgate {
namespace {

// Keeps the first bytes of an upload as they pass, so that a failed attempt can be
// repeated: a rewound source serves the kept bytes again, then carries on with the rest.
// Once more than `capacity` bytes have passed the kept ones are dropped, and the upload
// can no longer be replayed.
class ReplayableSource : public ByteSource {
 public:
  ReplayableSource(ByteSource& source, size_t capacity) : source_(source), capacity_(capacity) {}

  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    if (replay_offset_ < kept_.size()) {
      const size_t n = std::min(buffer.size(), kept_.size() - replay_offset_);
      std::memcpy(buffer.data(), kept_.data() + replay_offset_, n);
      replay_offset_ += n;
      return n;
    }
    absl::StatusOr<size_t> read = source_.Read(buffer);
    if (!read.ok()) return read;
    consumed_ += *read;
    if (replayable()) {
      kept_.append(buffer.data(), *read);
      replay_offset_ = kept_.size();
    } else if (!kept_.empty()) {
      std::string().swap(kept_);
      replay_offset_ = 0;
    }
    return read;
  }

  bool replayable() const { return consumed_ <= capacity_; }
  size_t consumed() const { return consumed_; }
  // The bytes kept so far: all of them while replayable().
  absl::string_view kept() const { return kept_; }
  void Rewind() { replay_offset_ = 0; }

 private:
  ByteSource& source_;
  const size_t capacity_;
  std::string kept_;
  size_t replay_offset_ = 0;
  size_t consumed_ = 0;
};

// Passes one download on to `out` across attempts: the first answer's head goes out, and
// each resumed answer must continue exactly where the bytes stopped, of the same version.
class ResumingSink : public DownloadSink {
 public:
  explicit ResumingSink(DownloadSink& out) : out_(out) {}

  absl::Status OnHead(const DownloadHead& head) override {
    if (!first_head_) {
      first_head_ = head;
      return out_.OnHead(head);
    }
    if (head.offset != first_head_->offset + delivered_ ||
        head.object_size != first_head_->object_size || head.etag != first_head_->etag ||
        head.object_sha256 != first_head_->object_sha256) {
      return absl::UnavailableError(
          "the object changed while its download was being resumed; read it again");
    }
    return absl::OkStatus();
  }

  absl::Status OnData(absl::string_view bytes) override {
    delivered_ += static_cast<int64_t>(bytes.size());
    return out_.OnData(bytes);
  }

  bool started() const { return first_head_.has_value(); }
  int64_t delivered() const { return delivered_; }
  const DownloadHead& first_head() const { return *first_head_; }

  bool CanResume() const {
    return CanResumeDownload(
        {first_head_->etag, first_head_->object_sha256,
         first_head_->offset == 0 && first_head_->length == first_head_->object_size});
  }

 private:
  DownloadSink& out_;
  std::optional<DownloadHead> first_head_;
  int64_t delivered_ = 0;
};

}  // namespace

RetryingUpstream::RetryingUpstream(Upstream& inner, BackoffPolicy policy, Clock& clock,
                                   size_t replay_buffer_bytes)
    : inner_(inner),
      policy_(std::move(policy)),
      clock_(clock),
      replay_buffer_bytes_(replay_buffer_bytes) {}

template <typename Attempt>
auto RetryingUpstream::Retry(const CallContext& context, Attempt&& attempt) {
  return RetryCall(policy_, clock_, context, std::forward<Attempt>(attempt));
}

absl::StatusOr<UpstreamServerInfo> RetryingUpstream::GetServerInfo(const CallContext& context) {
  return Retry(context, [&] { return inner_.GetServerInfo(context); });
}

absl::StatusOr<StoredObject> RetryingUpstream::Upload(const CallContext& context,
                                                      const UploadSpec& spec, ByteSource& body) {
  ReplayableSource replayable(body, replay_buffer_bytes_);
  int attempts = 0;
  return Retry(context, [&]() -> absl::StatusOr<StoredObject> {
    replayable.Rewind();
    absl::StatusOr<StoredObject> result = inner_.Upload(context, spec, replayable);
    if (++attempts > 1 && spec.conditional() && absl::IsFailedPrecondition(result.status())) {
      return OutcomeOfRepeatedConditionalUpload(context, spec, replayable.kept(), result.status());
    }
    if (!result.ok() && IsRetryable(result.status()) && !replayable.replayable()) {
      return ClearRetryable(absl::Status(
          result.status().code(),
          absl::StrCat(result.status().message(), "; the upload failed after ",
                       replayable.consumed(), " bytes, more than the ", replay_buffer_bytes_,
                       " the gateway can replay: retry it from the source")));
    }
    return result;
  });
}

absl::Status RetryingUpstream::Download(const CallContext& context, const DownloadSpec& spec,
                                        DownloadSink& sink) {
  ResumingSink resuming(sink);
  return Retry(context, [&]() -> absl::Status {
    if (!resuming.started()) return inner_.Download(context, spec, resuming);

    const DownloadHead& head = resuming.first_head();
    const int64_t remaining = head.length - resuming.delivered();
    if (remaining == 0) return absl::OkStatus();  // the break came after the last byte
    if (!resuming.CanResume()) {
      return absl::UnavailableError(absl::StrCat(
          "download of \"", spec.key, "\" broke after ", resuming.delivered(),
          " bytes and cannot be resumed safely: the upstream gives no etag, and no checksum "
          "of the whole object that would catch a mix of two versions"));
    }
    DownloadSpec rest = spec;
    rest.offset = head.offset + resuming.delivered();
    rest.length = remaining;
    if (rest.if_match.empty()) rest.if_match = head.etag;
    if (context.stats != nullptr) ++context.stats->resumes;
    absl::Status status = inner_.Download(context, rest, resuming);
    if (absl::IsFailedPrecondition(status) && spec.if_match.empty()) {
      // Our own If-Match failed: the object was replaced between the two attempts.
      return absl::UnavailableError(
          "the object changed while its download was being resumed; read it again");
    }
    return status;
  });
}

absl::StatusOr<ListPage> RetryingUpstream::List(const CallContext& context,
                                                const ListQuery& query) {
  return Retry(context, [&] { return inner_.List(context, query); });
}

absl::StatusOr<StoredObject> RetryingUpstream::OutcomeOfRepeatedConditionalUpload(
    const CallContext& context, const UploadSpec& spec, absl::string_view sent,
    absl::Status refused) {
  absl::StatusOr<DownloadHead> stored = ReadHead(inner_, context, spec.key);
  const std::string sent_sha256 = Sha256::Hex(sent);
  if (!stored.ok() || stored->object_sha256 != sent_sha256) return refused;
  return StoredObject{spec.key, static_cast<int64_t>(sent.size()), stored->etag, sent_sha256};
}

absl::Status RetryingUpstream::Delete(const CallContext& context, const DeleteSpec& spec) {
  int attempts = 0;
  return Retry(context, [&]() -> absl::Status {
    absl::Status status = inner_.Delete(context, spec);
    return OutcomeOfDelete(status, ++attempts > 1);
  });
}

absl::StatusOr<StoredObject> RetryingUpstream::Copy(const CallContext& context,
                                                    const CopySpec& spec) {
  return Retry(context, [&] { return inner_.Copy(context, spec); });
}

absl::StatusOr<std::string> RetryingUpstream::CreateMultipartUpload(const CallContext& context,
                                                                    const UploadSpec& spec) {
  // A create whose answer was lost leaves an upload nobody names; the store's expiry (or
  // the bucket's lifecycle rule) removes it.
  return Retry(context, [&] { return inner_.CreateMultipartUpload(context, spec); });
}

absl::StatusOr<UploadedPart> RetryingUpstream::UploadPart(const CallContext& context,
                                                          const std::string& key,
                                                          const std::string& upload_id, int number,
                                                          absl::string_view bytes) {
  return Retry(context, [&] { return inner_.UploadPart(context, key, upload_id, number, bytes); });
}

absl::StatusOr<MultipartUploadState> RetryingUpstream::ListParts(const CallContext& context,
                                                                 const std::string& key,
                                                                 const std::string& upload_id) {
  return Retry(context, [&] { return inner_.ListParts(context, key, upload_id); });
}

absl::StatusOr<StoredObject> RetryingUpstream::CompleteMultipartUpload(
    const CallContext& context, const UploadSpec& spec, const std::string& upload_id,
    const std::vector<UploadedPart>& parts) {
  int attempts = 0;
  return Retry(context, [&]() -> absl::StatusOr<StoredObject> {
    absl::StatusOr<StoredObject> result =
        inner_.CompleteMultipartUpload(context, spec, upload_id, parts);
    if (++attempts == 1 || result.ok() ||
        !(absl::IsNotFound(result.status()) || absl::IsFailedPrecondition(result.status()))) {
      return result;
    }
    // Gone, or refused by its own object: did the attempt whose answer was lost complete it?
    absl::StatusOr<MultipartUploadState> state = inner_.ListParts(context, spec.key, upload_id);
    if (state.ok() && state->complete) return state->object;
    return result;
  });
}

absl::Status RetryingUpstream::AbortMultipartUpload(const CallContext& context,
                                                    const std::string& key,
                                                    const std::string& upload_id) {
  int attempts = 0;
  return Retry(context, [&]() -> absl::Status {
    absl::Status status = inner_.AbortMultipartUpload(context, key, upload_id);
    // As with deletes: gone on a repeat means an earlier attempt removed it.
    return OutcomeOfDelete(status, ++attempts > 1);
  });
}

absl::Status RetryingUpstream::CheckLive(const CallContext& context) {
  return inner_.CheckLive(context);
}

absl::Status RetryingUpstream::CheckReady(const CallContext& context) {
  return inner_.CheckReady(context);
}

}  // namespace objgate
