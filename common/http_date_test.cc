#include "common/http_date.h"

#include <optional>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

absl::Time Utc(int year, int month, int day, int hour, int minute, int second) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

TEST(ParseHttpDateTest, ReadsAllThreeForms) {
  const absl::Time now = Utc(2026, 11, 28, 0, 0, 0);
  const absl::Time expected = Utc(1994, 11, 6, 8, 49, 37);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", now), expected);
  EXPECT_EQ(ParseHttpDate(" Sun, 06 Nov 1994 08:49:37 GMT ", now), expected);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", now), expected);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994", now), expected);
}

TEST(ParseHttpDateTest, RefusesWhatIsNotADate) {
  const absl::Time now = Utc(2026, 11, 28, 0, 0, 0);
  for (const char* bad : {"", "yesterday", "Sun, 31 Feb 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49:37 UTC", "2026-11-28T00:00:00Z"}) {
    EXPECT_EQ(ParseHttpDate(bad, now), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace objgate
