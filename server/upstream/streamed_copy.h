#ifndef OBJGATE_SERVER_UPSTREAM_STREAMED_COPY_H_
#define OBJGATE_SERVER_UPSTREAM_STREAMED_COPY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "server/upstream/upstream.h"

namespace objgate {

// How many source bytes a streamed copy holds at a time.
inline constexpr int64_t kStreamedCopyWindowBytes = int64_t{8} << 20;

// Copies an object through the gateway, for upstreams that cannot copy it themselves:
// reads the source from `upstream` in windows of `window_bytes` and uploads them to it as
// the destination, so that a copy of any size holds one window. Every window after the
// first asks for the first one's version (If-Match on its etag); a source that changes
// meanwhile fails the copy (UNAVAILABLE, retryable) before the destination is written.
// Without an etag, a source larger than a window is copied only when its SHA-256 is
// declared (the rule of CanResumeDownload, common/retry/repeat_rules.h), else
// FAILED_PRECONDITION. The bytes are hashed on the way: a mismatch with the declared
// SHA-256 fails the upload's body (DATA_LOSS), so the destination is never written.
absl::StatusOr<StoredObject> StreamedCopy(Upstream& upstream, const CallContext& context,
                                          const CopySpec& spec,
                                          int64_t window_bytes = kStreamedCopyWindowBytes);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_STREAMED_COPY_H_
