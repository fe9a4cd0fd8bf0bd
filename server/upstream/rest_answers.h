#ifndef OBJGATE_SERVER_UPSTREAM_REST_ANSWERS_H_
#define OBJGATE_SERVER_UPSTREAM_REST_ANSWERS_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/upstream/upstream.h"

namespace objgate {

// Parsers for what the upstream sends back. The bytes are untrusted: every parser accepts
// any input without crashing and answers INTERNAL, naming what was wrong, for anything
// that is not the documented shape.

// `GET /` answer: {"status": "...", "version": "...", "performance": "..."}, and where
// the store has optional capabilities, "capabilities": ["conditional_writes", ...], which
// land in UpstreamServerInfo::capabilities as the store named them.
absl::StatusOr<UpstreamServerInfo> ParseServerInfo(absl::string_view body);

// Upload answer: {"status":"uploaded","key":K,"size":N}, and where the store says them
// "etag" and "sha256"; an empty body (201/204) is a
// success that reports nothing, so `key` and `size` are filled from what was sent.
absl::StatusOr<StoredObject> ParseUploadAnswer(absl::string_view body, absl::string_view key,
                                               int64_t bytes_sent);

// A list answer, and whether the store paginates.
struct ListAnswer {
  ListPage page;
  // The answer has the pagination fields ("is_truncated", and "next_start_after" when
  // true). Without them the store cannot say whether it cut the listing short.
  bool paginates = false;
};

// List answer: {"objects":[{"key","size","last_modified","etag","content_type"}], "count",
// and, from a store that paginates, "is_truncated" and "next_start_after"}.
absl::StatusOr<ListAnswer> ParseListAnswer(absl::string_view body);

// Multipart uploads (rest_dialect.md, "multipart_uploads").
// `POST /uploads` answer: {"upload_id": U, "key": K}; the id, never empty.
absl::StatusOr<std::string> ParseUploadStartAnswer(absl::string_view body);
// `PUT /uploads/part` answer: {"part_number": N, "size": S, "etag": E}.
absl::StatusOr<UploadedPart> ParsePartAnswer(absl::string_view body);
// `GET /uploads/parts` answer: {"parts": [{"part_number","size","etag"}...], "complete":
// false}, or once complete {"parts": [], "complete": true, "size": N, "etag": E} and,
// where the store says it, "sha256".
absl::StatusOr<MultipartUploadState> ParsePartsAnswer(absl::string_view body,
                                                      absl::string_view key);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_REST_ANSWERS_H_
