#ifndef OBJGATE_COMMON_RETRY_REPEAT_RULES_H_
#define OBJGATE_COMMON_RETRY_REPEAT_RULES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace objgate {

// What a repeated call means, decided once for every layer that repeats calls: the
// transport (libcurl re-sends a request on a dead kept-alive connection), the gateway's
// retrying upstream, and the client library.

// A delete sent again after its answer was lost may find the object gone: the earlier
// send deleted it, so the delete succeeded. `repeated` is whether the request went out
// more than once.
absl::Status OutcomeOfDelete(absl::Status status, bool repeated);

// What is known of a download when it breaks mid-body.
struct DownloadSoFar {
  // The object's entity tag as the first answer gave it; empty when there was none.
  std::string etag;
  // The whole object's SHA-256 as its store declared it; empty when undeclared.
  std::string declared_sha256;
  // The download asked for the whole object, not a range of it.
  bool whole_object = false;
};

// Whether a download may continue from the next byte without risking bytes of two
// versions of the object in one stream. With an etag, the continuation asks for the same
// version (If-Match) and the store refuses another one. Without an etag only a whole
// object whose SHA-256 was declared may continue: the whole-object check then fails on a
// mix of versions. Anything else must fail (UNAVAILABLE) rather than resume.
bool CanResumeDownload(const DownloadSoFar& download);

}  // namespace objgate

#endif  // OBJGATE_COMMON_RETRY_REPEAT_RULES_H_
