#ifndef OBJGATE_SERVER_UPSTREAM_OBJECT_HEAD_H_
#define OBJGATE_SERVER_UPSTREAM_OBJECT_HEAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/upstream/upstream.h"

namespace objgate {

// An object's description without its bytes: the head of a read of its first byte. Every
// dialect answers that the same way (a HEAD would need a method of its own per dialect,
// and its error answers have no body to name their cause). An empty object has no first
// byte (OUT_OF_RANGE); it is read whole, which is nothing. `if_match` as in DownloadSpec.
// Used by Stat, by copies that stream, and to learn what a repeated write left behind.
absl::StatusOr<DownloadHead> ReadHead(Upstream& upstream, const CallContext& context,
                                      const std::string& key, const std::string& if_match = "");

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_OBJECT_HEAD_H_
