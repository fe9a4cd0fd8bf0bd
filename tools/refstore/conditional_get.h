#ifndef OBJGATE_TOOLS_REFSTORE_CONDITIONAL_GET_H_
#define OBJGATE_TOOLS_REFSTORE_CONDITIONAL_GET_H_

// What a download may ask for beyond the whole object: one byte range (RFC 9110 14.2)
// and an If-Match precondition (RFC 9110 13.1.1).

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace objgate::refstore {

struct RangeDecision {
  enum class Kind {
    kWhole,          // No Range, or one this server ignores: send 200 and every byte.
    kPartial,        // Send 206 with bytes [first, last].
    kUnsatisfiable,  // Send 416 with "Content-Range: bytes */size".
  };
  Kind kind = Kind::kWhole;
  uint64_t first = 0;
  uint64_t last = 0;  // Inclusive.
};

// Decides how to answer `range_header` for an object of `size` bytes. "bytes=A-B",
// "bytes=A-" and "bytes=-N" are served; as RFC 9110 allows, a header that is malformed,
// uses another unit or asks for several ranges is ignored and the whole object sent.
RangeDecision DecideRange(std::optional<absl::string_view> range_header, uint64_t size);

// True if the If-Match value admits an object whose ETag is `etag` (unquoted); also the
// If-Match of conditional uploads and deletes (ObjectStore). Accepts
// "*", lists, and entity tags with or without quotes; weak tags never match.
bool IfMatchAllows(absl::string_view if_match, absl::string_view etag);

}  // namespace objgate::refstore

#endif  // OBJGATE_TOOLS_REFSTORE_CONDITIONAL_GET_H_
