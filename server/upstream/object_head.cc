#include "server/upstream/object_head.h"

#include <optional>
#include <utility>

namespace objgate {
namespace {

// Keeps the head of a download and drops its bytes.
class HeadSink : public DownloadSink {
 public:
  static constexpr absl::string_view kEnough = "description read";

  absl::Status OnHead(const DownloadHead& head) override {
    head_ = head;
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view) override {
    // A whole-object read of what was an empty object: it changed, and its head is
    // enough.
    return head_ && head_->length > 1 ? absl::CancelledError(kEnough) : absl::OkStatus();
  }

  // The head, once the download that fed this sink ended with `status`.
  absl::StatusOr<DownloadHead> Result(absl::Status status) const {
    if (absl::IsCancelled(status) && status.message() == kEnough) status = absl::OkStatus();
    if (!status.ok()) return status;
    if (!head_) return absl::InternalError("the upstream's answer described no object");
    return *head_;
  }

 private:
  std::optional<DownloadHead> head_;
};

}  // namespace

absl::StatusOr<DownloadHead> ReadHead(Upstream& upstream, const CallContext& context,
                                      const std::string& key, const std::string& if_match) {
  HeadSink first_byte;
  absl::Status status = upstream.Download(context, DownloadSpec{key, 0, 1, if_match}, first_byte);
  if (!absl::IsOutOfRange(status)) return first_byte.Result(std::move(status));
  HeadSink whole;
  return whole.Result(
      upstream.Download(context, DownloadSpec{key, 0, std::nullopt, if_match}, whole));
}

}  // namespace objgate
