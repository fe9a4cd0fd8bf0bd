#include "server/upstream/delimiter_grouping.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"

namespace objgate {

absl::string_view CommonPrefixOf(absl::string_view key, absl::string_view prefix,
                                 absl::string_view delimiter) {
  if (delimiter.empty() || !absl::StartsWith(key, prefix)) return "";
  const size_t at = key.find(delimiter, prefix.size());
  if (at == absl::string_view::npos) return "";
  return key.substr(0, at + delimiter.size());
}

absl::StatusOr<ListPage> ListGroupedByDelimiter(const ListQuery& query, const ListKeys& list_keys) {
  ListPage page;
  // Keys under this prefix are skipped: their group was reported already, or before this
  // listing (a start_after that is a group).
  std::string skipped_group;
  if (CommonPrefixOf(query.start_after, query.prefix, query.delimiter) == query.start_after) {
    skipped_group = query.start_after;
  }
  ListQuery keys;
  keys.prefix = query.prefix;
  keys.start_after = query.start_after;
  keys.max_keys = query.max_keys;
  const size_t wanted = static_cast<size_t>(std::max(query.max_keys, 1));
  while (true) {
    absl::StatusOr<ListPage> store_page = list_keys(keys);
    if (!store_page.ok()) return store_page.status();
    for (ObjectEntry& entry : store_page->entries) {
      if (!skipped_group.empty() && absl::StartsWith(entry.key, skipped_group)) continue;
      if (page.entries.size() + page.common_prefixes.size() == wanted) {
        // A page is full and the listing goes on past it.
        page.is_truncated = true;
        return page;
      }
      const absl::string_view group = CommonPrefixOf(entry.key, query.prefix, query.delimiter);
      if (group.empty()) {
        page.next_start_after = entry.key;
        page.entries.push_back(std::move(entry));
      } else {
        skipped_group = std::string(group);
        // A group that sorts before start_after began before this listing did.
        if (skipped_group <= query.start_after) continue;
        page.common_prefixes.push_back(skipped_group);
        page.next_start_after = skipped_group;
      }
    }
    if (!store_page->is_truncated) return page;
    if (store_page->next_start_after <= keys.start_after) {
      return absl::InternalError("upstream list pagination does not move forward");
    }
    keys.start_after = std::move(store_page->next_start_after);
  }
}

}  // namespace objgate
