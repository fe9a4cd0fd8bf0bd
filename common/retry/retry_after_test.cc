#include "common/retry/retry_after.h"

#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

// Sun, 06 Nov 1994 08:49:37 GMT, the RFC's example date, is `kNow` plus 90 seconds.
const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(1994, 11, 6, 8, 48, 7), absl::UTCTimeZone());

struct Case {
  std::string value;
  std::optional<absl::Duration> expected;
};

void ExpectCases(const std::vector<Case>& cases, absl::Time now) {
  for (const Case& c : cases) {
    EXPECT_EQ(ParseRetryAfter(c.value, now), c.expected) << "\"" << c.value << "\"";
  }
}

TEST(ParseRetryAfterTest, DeltaSeconds) {
  ExpectCases(
      {
          {"0", absl::ZeroDuration()},
          {"1", absl::Seconds(1)},
          {"120", absl::Seconds(120)},
          {"007", absl::Seconds(7)},
          {"  5\t", absl::Seconds(5)},
          {"5\r\n", absl::Seconds(5)},
          {"86400", absl::Hours(24)},
      },
      kNow);
}

TEST(ParseRetryAfterTest, NegativeDeltaMeansNoWait) {
  ExpectCases({{"-5", absl::ZeroDuration()}, {"-0", absl::ZeroDuration()}}, kNow);
}

TEST(ParseRetryAfterTest, HugeValuesAreClampedToTheMaximum) {
  ExpectCases(
      {
          {"86401", kMaxRetryAfter},
          {"9223372036854775807", kMaxRetryAfter},
          {"99999999999999999999999999999999999999999999999999", kMaxRetryAfter},
          {"Fri, 31 Dec 9999 23:59:59 GMT", kMaxRetryAfter},
          {"Wednesday, 09-Nov-94 08:48:07 GMT", kMaxRetryAfter},
      },
      kNow);
}

TEST(ParseRetryAfterTest, HttpDatesInAllThreeForms) {
  ExpectCases(
      {
          {"Sun, 06 Nov 1994 08:49:37 GMT", absl::Seconds(90)},
          {"Sunday, 06-Nov-94 08:49:37 GMT", absl::Seconds(90)},
          {"Sun Nov  6 08:49:37 1994", absl::Seconds(90)},
          {"Sun Nov 06 08:49:37 1994", absl::Seconds(90)},
          {"Monday, 07-Nov-94 08:48:06 GMT", absl::Hours(24) - absl::Seconds(1)},
          {"Mon, 07 Nov 1994 08:48:07 GMT", absl::Hours(24)},
          // The day name is not checked against the date.
          {"Mon, 06 Nov 1994 08:49:37 GMT", absl::Seconds(90)},
          // A leap second reads as the second before it.
          {"Sun, 06 Nov 1994 08:49:60 GMT", absl::Seconds(112)},
      },
      kNow);
}

TEST(ParseRetryAfterTest, DatesInThePastMeanNoWait) {
  ExpectCases(
      {
          {"Sun, 06 Nov 1994 08:48:07 GMT", absl::ZeroDuration()},
          {"Thu, 01 Jan 1970 00:00:00 GMT", absl::ZeroDuration()},
          {"Sat, 05 Nov 1994 08:49:37 GMT", absl::ZeroDuration()},
      },
      kNow);
}

TEST(ParseRetryAfterTest, Rfc850YearsMoreThanFiftyYearsAheadAreFromThePastCentury) {
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2030, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  // 2079 is 49 years ahead, so "79" means 2079 (clamped); 2081 would be 51, so 1981.
  EXPECT_EQ(ParseRetryAfter("Monday, 01-Jan-79 00:00:00 GMT", now), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("Monday, 01-Jan-81 00:00:00 GMT", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Tuesday, 01-Jan-30 00:00:10 GMT", now), absl::Seconds(10));
  EXPECT_EQ(ParseRetryAfter("Tuesday, 01-Jan-30 00:00:10 GMT", absl::InfiniteFuture()),
            std::nullopt);
}

TEST(ParseRetryAfterTest, GarbageIsRejected) {
  ExpectCases(
      {
          {"", std::nullopt},
          {"   ", std::nullopt},
          {"-", std::nullopt},
          {"+5", std::nullopt},
          {"--5", std::nullopt},
          {"5s", std::nullopt},
          {"1.5", std::nullopt},
          {"1 2", std::nullopt},
          {"0x10", std::nullopt},
          {"soon", std::nullopt},
          {std::string("5\0", 2), std::nullopt},
          {std::string(65, '1'), std::nullopt},
          // Near misses of each date form.
          {"Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
          {"Sun, 06 Nov 1994 08:49:37 GMT ", absl::Seconds(90)},
          {"Sun, 06 Nov 1994 08:49:37 GMTx", std::nullopt},
          {"sun, 06 Nov 1994 08:49:37 GMT", std::nullopt},
          {"Sun, 06 nov 1994 08:49:37 GMT", std::nullopt},
          {"Sun, 6 Nov 1994 08:49:37 GMT", std::nullopt},
          {"Sun,  06 Nov 1994 08:49:37 GMT", std::nullopt},
          {"Sun, 06 Nov 94 08:49:37 GMT", std::nullopt},
          {"Sun, 06 Nov 1994 8:49:37 GMT", std::nullopt},
          {"Sun, 06 Nov 1994 08:49 GMT", std::nullopt},
          {"Sunday, 06 Nov 1994 08:49:37 GMT", std::nullopt},
          {"Sun, 06-Nov-94 08:49:37 GMT", std::nullopt},
          {"Sunday, 06-Nov-1994 08:49:37 GMT", std::nullopt},
          {"Sun Nov 6 08:49:37 1994", std::nullopt},
          {"Sun Nov  6 08:49:37 1994 GMT", std::nullopt},
          {"Sun, 06 Nov 1994 08:49:37 +0000", std::nullopt},
          {"1994-11-06T08:49:37Z", std::nullopt},
          // Fields out of range.
          {"Thu, 30 Feb 1995 00:00:00 GMT", std::nullopt},
          {"Sun, 00 Nov 1994 08:49:37 GMT", std::nullopt},
          {"Sun, 06 Nov 1994 24:00:00 GMT", std::nullopt},
          {"Sun, 06 Nov 1994 08:60:00 GMT", std::nullopt},
          {"Sun, 06 Nov 1994 08:49:61 GMT", std::nullopt},
          {"Sun, 32 Nov 1994 08:49:37 GMT", std::nullopt},
      },
      kNow);
}

TEST(ParseRetryAfterTest, AnyBytesAreSafe) {
  // Every one- and two-byte value, and every prefix of a valid date: nothing crashes, and
  // only digit strings (or a '-' and digits) parse.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const char bytes[] = {static_cast<char>(a), static_cast<char>(b)};
      ParseRetryAfter(absl::string_view(bytes, 2), kNow);
    }
  }
  const std::string date = "Sunday, 06-Nov-94 08:49:37 GMT";
  for (size_t n = 0; n < date.size(); ++n) {
    EXPECT_EQ(ParseRetryAfter(date.substr(0, n), kNow), std::nullopt) << n;
  }
}

}  // namespace
}  // namespace objgate
