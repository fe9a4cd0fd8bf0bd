#ifndef OBJGATE_SERVER_UPSTREAM_DELIMITER_GROUPING_H_
#define OBJGATE_SERVER_UPSTREAM_DELIMITER_GROUPING_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/upstream/upstream.h"

namespace objgate {

// Lists one page of keys (no delimiter): what a store without delimiter listings answers.
using ListKeys = std::function<absl::StatusOr<ListPage>(const ListQuery& query)>;

// A delimiter listing computed from plain key listings, for stores that have none of their
// own (the REST dialect): each key that holds `query.delimiter` after `query.prefix` is
// folded into its common prefix (the key up to and including that delimiter), reported
// once. Pages through `list_keys` until it has `query.max_keys` entries and prefixes
// together, or the listing ends, so memory stays bounded by a page whatever the listing
// holds; a large folder costs the store pages it sends, not memory.
//
// Continuing: entries and prefixes come strictly after `query.start_after`, and a
// `start_after` that is itself a common prefix (it ends with the delimiter) skips its whole
// group, so a listing continued from its last item never repeats a folder. The page's
// `next_start_after` is its last item, key or prefix.
absl::StatusOr<ListPage> ListGroupedByDelimiter(const ListQuery& query, const ListKeys& list_keys);

// The common prefix `key` falls in under `prefix` and `delimiter`; empty when it falls in
// none (it holds no delimiter after the prefix) or when `delimiter` is empty.
absl::string_view CommonPrefixOf(absl::string_view key, absl::string_view prefix,
                                 absl::string_view delimiter);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_DELIMITER_GROUPING_H_
