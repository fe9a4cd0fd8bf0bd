#include "common/retry/repeat_rules.h"

namespace objgate {

absl::Status OutcomeOfDelete(absl::Status status, bool repeated) {
  return repeated && absl::IsNotFound(status) ? absl::OkStatus() : status;
}

bool CanResumeDownload(const DownloadSoFar& download) {
  if (!download.etag.empty()) return true;
  return download.whole_object && !download.declared_sha256.empty();
}

}  // namespace objgate
