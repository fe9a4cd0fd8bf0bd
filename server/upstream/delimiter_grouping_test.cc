#include "server/upstream/delimiter_grouping.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A store's plain listing of `keys`, `page_bytes` keys at most per page whatever max_keys
// says (a store may answer fewer than asked), counting the pages it sent.
struct FakeKeys {
  std::vector<std::string> keys;
  int page_keys = 2;
  int pages = 0;

  absl::StatusOr<ListPage> operator()(const ListQuery& query) {
    ++pages;
    ListPage page;
    for (const std::string& key : keys) {
      if (key <= query.start_after || !absl::StartsWith(key, query.prefix)) continue;
      if (page.entries.size() == static_cast<size_t>(std::min(page_keys, query.max_keys))) {
        page.is_truncated = true;
        break;
      }
      ObjectEntry entry;
      entry.key = key;
      page.entries.push_back(entry);
      page.next_start_after = key;
    }
    return page;
  }
};

std::vector<std::string> Keys(const ListPage& page) {
  std::vector<std::string> keys;
  for (const ObjectEntry& entry : page.entries) keys.push_back(entry.key);
  return keys;
}

ListQuery Query(std::string prefix, std::string start_after = "", int max_keys = 1000) {
  ListQuery query;
  query.prefix = std::move(prefix);
  query.start_after = std::move(start_after);
  query.max_keys = max_keys;
  query.delimiter = "/";
  return query;
}

TEST(CommonPrefixOfTest, IsTheKeyUpToTheFirstDelimiterAfterThePrefix) {
  EXPECT_EQ(CommonPrefixOf("photos/2024/a.jpg", "", "/"), "photos/");
  EXPECT_EQ(CommonPrefixOf("photos/2024/a.jpg", "photos/", "/"), "photos/2024/");
  EXPECT_EQ(CommonPrefixOf("photos/a.jpg", "photos/", "/"), "");
  EXPECT_EQ(CommonPrefixOf("a--b--c", "", "--"), "a--");
  EXPECT_EQ(CommonPrefixOf("photos/a.jpg", "", ""), "");
  EXPECT_EQ(CommonPrefixOf("other/a.jpg", "photos/", "/"), "");
}

TEST(ListGroupedByDelimiterTest, FoldsEachFolderOnceAcrossStorePages) {
  FakeKeys store{{"a.txt", "docs/1", "docs/2", "docs/3", "docs/sub/4", "e.txt", "photos/x/1",
                  "photos/y", "z"}};
  absl::StatusOr<ListPage> page = ListGroupedByDelimiter(Query(""), std::ref(store));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Keys(*page), ElementsAre("a.txt", "e.txt", "z"));
  EXPECT_THAT(page->common_prefixes, ElementsAre("docs/", "photos/"));
  EXPECT_FALSE(page->is_truncated);
  EXPECT_GT(store.pages, 3);  // it paged through the store, two keys at a time
}

TEST(ListGroupedByDelimiterTest, UnderAPrefixFoldsTheNextLevel) {
  FakeKeys store{{"docs/1", "docs/sub/4", "docs/sub/5", "docs/zz/6", "photos/x"}};
  absl::StatusOr<ListPage> page = ListGroupedByDelimiter(Query("docs/"), std::ref(store));
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Keys(*page), ElementsAre("docs/1"));
  EXPECT_THAT(page->common_prefixes, ElementsAre("docs/sub/", "docs/zz/"));
}

TEST(ListGroupedByDelimiterTest, PagesCountEntriesAndPrefixesAndContinueWithoutRepeats) {
  FakeKeys store{{"a/1", "a/2", "b", "c/1", "c/2", "c/3", "d", "e/1"}};
  std::vector<std::string> items;
  ListQuery query = Query("", "", 2);
  for (int pages = 0; pages < 10; ++pages) {
    absl::StatusOr<ListPage> page = ListGroupedByDelimiter(query, std::ref(store));
    ASSERT_TRUE(page.ok());
    EXPECT_LE(page->entries.size() + page->common_prefixes.size(), 2u);
    std::vector<std::string> page_items = Keys(*page);
    page_items.insert(page_items.end(), page->common_prefixes.begin(), page->common_prefixes.end());
    std::sort(page_items.begin(), page_items.end());
    items.insert(items.end(), page_items.begin(), page_items.end());
    if (!page->is_truncated) break;
    EXPECT_EQ(page->next_start_after, page_items.back());
    query.start_after = page->next_start_after;
  }
  EXPECT_THAT(items, ElementsAre("a/", "b", "c/", "d", "e/"));
}

TEST(ListGroupedByDelimiterTest, AStartAfterInsideAGroupDoesNotReportIt) {
  FakeKeys store{{"a/1", "a/2", "a/3", "b"}};
  absl::StatusOr<ListPage> page = ListGroupedByDelimiter(Query("", "a/1"), std::ref(store));
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Keys(*page), ElementsAre("b"));
  EXPECT_THAT(page->common_prefixes, IsEmpty());
}

TEST(ListGroupedByDelimiterTest, StoreErrorsPassThrough) {
  ListKeys failing = [](const ListQuery&) -> absl::StatusOr<ListPage> {
    return absl::UnavailableError("store down");
  };
  EXPECT_TRUE(absl::IsUnavailable(ListGroupedByDelimiter(Query(""), failing).status()));
}

}  // namespace
}  // namespace objgate
