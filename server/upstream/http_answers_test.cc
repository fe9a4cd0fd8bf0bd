#include "server/upstream/http_answers.h"

#include <optional>

#include "gtest/gtest.h"

namespace objgate {
namespace {

TEST(ParseContentRangeTest, AcceptsOnlyWellFormedRanges) {
  std::optional<ContentRange> range = ParseContentRange("bytes 10-19/100");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->first, 10);
  EXPECT_EQ(range->last, 19);
  EXPECT_EQ(range->total, 100);
  for (absl::string_view bad : {"", "bytes */100", "bytes 5-4/100", "bytes 0-100/100",
                                "items 0-1/2", "bytes -1-2/3", "bytes 0-1/", "bytes 0-1",
                                "bytes 99999999999999999999-1/2"}) {
    EXPECT_FALSE(ParseContentRange(bad).has_value()) << bad;
  }
}

TEST(BareEtagTest, DropsQuotesAndTheWeakMarker) {
  EXPECT_EQ(BareEtag("\"abc\""), "abc");
  EXPECT_EQ(BareEtag(" W/\"abc\" "), "abc");
  EXPECT_EQ(BareEtag("abc-3"), "abc-3");
  EXPECT_EQ(BareEtag("\""), "\"");
}

}  // namespace
}  // namespace objgate
