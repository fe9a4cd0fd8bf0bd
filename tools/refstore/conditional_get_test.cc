#include "tools/refstore/conditional_get.h"

#include "gtest/gtest.h"

namespace objgate::refstore {
namespace {

using Kind = RangeDecision::Kind;

TEST(DecideRangeTest, FollowsRfc9110ForOneRange) {
  struct Case {
    const char* header;
    uint64_t size;
    Kind kind;
    uint64_t first;
    uint64_t last;
  };
  const Case cases[] = {
      {"bytes=0-4", 10, Kind::kPartial, 0, 4},
      {"bytes=2-2", 10, Kind::kPartial, 2, 2},
      {"bytes=5-100", 10, Kind::kPartial, 5, 9},
      {"bytes=7-", 10, Kind::kPartial, 7, 9},
      {"bytes=-3", 10, Kind::kPartial, 7, 9},
      {"bytes=-30", 10, Kind::kPartial, 0, 9},
      {"Bytes=1-2", 10, Kind::kPartial, 1, 2},
      {"bytes = 1-2", 10, Kind::kWhole, 0, 0},
      {"bytes=10-", 10, Kind::kUnsatisfiable, 0, 0},
      {"bytes=10-20", 10, Kind::kUnsatisfiable, 0, 0},
      {"bytes=-0", 10, Kind::kUnsatisfiable, 0, 0},
      {"bytes=0-", 0, Kind::kUnsatisfiable, 0, 0},
      {"bytes=-5", 0, Kind::kUnsatisfiable, 0, 0},
      // Ignored, so the whole object goes out.
      {"bytes=4-2", 10, Kind::kWhole, 0, 0},
      {"bytes=0-1,3-4", 10, Kind::kWhole, 0, 0},
      {"items=0-4", 10, Kind::kWhole, 0, 0},
      {"bytes=a-b", 10, Kind::kWhole, 0, 0},
      {"bytes=-", 10, Kind::kWhole, 0, 0},
      {"bytes=+1-2", 10, Kind::kWhole, 0, 0},
      {"bytes=99999999999999999999-", 10, Kind::kWhole, 0, 0},
  };
  for (const Case& c : cases) {
    const RangeDecision decision = DecideRange(c.header, c.size);
    EXPECT_EQ(decision.kind, c.kind) << c.header;
    if (c.kind == Kind::kPartial) {
      EXPECT_EQ(decision.first, c.first) << c.header;
      EXPECT_EQ(decision.last, c.last) << c.header;
    }
  }
  EXPECT_EQ(DecideRange(std::nullopt, 10).kind, Kind::kWhole);
}

TEST(IfMatchAllowsTest, MatchesQuotedUnquotedListsAndStarButNeverWeakTags) {
  EXPECT_TRUE(IfMatchAllows("\"abc\"", "abc"));
  EXPECT_TRUE(IfMatchAllows("abc", "abc"));
  EXPECT_TRUE(IfMatchAllows("*", "abc"));
  EXPECT_TRUE(IfMatchAllows("\"x\", \"abc\"", "abc"));
  EXPECT_FALSE(IfMatchAllows("\"abd\"", "abc"));
  EXPECT_FALSE(IfMatchAllows("W/\"abc\"", "abc"));
  EXPECT_FALSE(IfMatchAllows("", "abc"));
}

}  // namespace
}  // namespace objgate::refstore
