#include "common/http_date.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"

namespace objgate {
namespace {

constexpr absl::string_view kShortDayNames[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr absl::string_view kLongDayNames[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                               "Friday", "Saturday", "Sunday"};
constexpr absl::string_view kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Each Consume* function removes what it matched from the front of `input` and reports
// whether it matched; on a mismatch the caller abandons the whole parse.

bool ConsumeLiteral(absl::string_view& input, absl::string_view literal) {
  return absl::ConsumePrefix(&input, literal);
}

// Exactly `count` ASCII digits.
bool ConsumeDigits(absl::string_view& input, int count, int& value) {
  if (input.size() < static_cast<size_t>(count)) return false;
  value = 0;
  for (int i = 0; i < count; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(input[i]))) return false;
    value = value * 10 + (input[i] - '0');
  }
  input.remove_prefix(count);
  return true;
}

// One of `names`; `index` is its position. Case-sensitive, as the grammar is.
template <size_t N>
bool ConsumeName(absl::string_view& input, const absl::string_view (&names)[N], int& index) {
  for (size_t i = 0; i < N; ++i) {
    if (absl::ConsumePrefix(&input, names[i])) {
      index = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

bool ConsumeMonth(absl::string_view& input, int& month) {
  if (!ConsumeName(input, kMonthNames, month)) return false;
  month += 1;
  return true;
}

struct TimeOfDay {
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// "HH:MM:SS"; the ranges are checked when the date is assembled.
bool ConsumeTimeOfDay(absl::string_view& input, TimeOfDay& time) {
  return ConsumeDigits(input, 2, time.hour) && ConsumeLiteral(input, ":") &&
         ConsumeDigits(input, 2, time.minute) && ConsumeLiteral(input, ":") &&
         ConsumeDigits(input, 2, time.second);
}

// The instant the fields name, or nullopt when they name none (Feb 30, 24:00:00). A leap
// second (":60", which the grammar allows) is read as the second before it.
std::optional<absl::Time> MakeUtcTime(int64_t year, int month, int day, const TimeOfDay& time) {
  const int second = time.second == 60 ? 59 : time.second;
  const absl::CivilSecond civil(year, month, day, time.hour, time.minute, second);
  // CivilSecond normalises out-of-range fields; a normalised field means an invalid date.
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != time.hour || civil.minute() != time.minute || civil.second() != second) {
    return std::nullopt;
  }
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<absl::Time> ParseImfFixdate(absl::string_view input) {
  int weekday, day, month, year;
  TimeOfDay time;
  if (ConsumeName(input, kShortDayNames, weekday) && ConsumeLiteral(input, ", ") &&
      ConsumeDigits(input, 2, day) && ConsumeLiteral(input, " ") && ConsumeMonth(input, month) &&
      ConsumeLiteral(input, " ") && ConsumeDigits(input, 4, year) && ConsumeLiteral(input, " ") &&
      ConsumeTimeOfDay(input, time) && ConsumeLiteral(input, " GMT") && input.empty()) {
    return MakeUtcTime(year, month, day, time);
  }
  return std::nullopt;
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<absl::Time> ParseRfc850Date(absl::string_view input, absl::Time now) {
  int weekday, day, month, two_digit_year;
  TimeOfDay time;
  if (ConsumeName(input, kLongDayNames, weekday) && ConsumeLiteral(input, ", ") &&
      ConsumeDigits(input, 2, day) && ConsumeLiteral(input, "-") && ConsumeMonth(input, month) &&
      ConsumeLiteral(input, "-") && ConsumeDigits(input, 2, two_digit_year) &&
      ConsumeLiteral(input, " ") && ConsumeTimeOfDay(input, time) &&
      ConsumeLiteral(input, " GMT") && input.empty()) {
    // Without a finite `now` there is no century to put the year in.
    if (now == absl::InfiniteFuture() || now == absl::InfinitePast()) return std::nullopt;
    // RFC 9110 5.6.7: a year more than 50 years in the future is the most recent past
    // year with the same last two digits.
    const int64_t this_year = absl::ToCivilYear(now, absl::UTCTimeZone()).year();
    int64_t year = this_year - this_year % 100 + two_digit_year;
    if (year > this_year + 50) year -= 100;
    return MakeUtcTime(year, month, day, time);
  }
  return std::nullopt;
}

// "Sun Nov  6 08:49:37 1994"
std::optional<absl::Time> ParseAsctimeDate(absl::string_view input) {
  int weekday, day, month, year;
  TimeOfDay time;
  if (!ConsumeName(input, kShortDayNames, weekday) || !ConsumeLiteral(input, " ") ||
      !ConsumeMonth(input, month) || !ConsumeLiteral(input, " ")) {
    return std::nullopt;
  }
  // The day is two digits, or a space and one digit.
  const bool day_ok =
      ConsumeLiteral(input, " ") ? ConsumeDigits(input, 1, day) : ConsumeDigits(input, 2, day);
  if (day_ok && ConsumeLiteral(input, " ") && ConsumeTimeOfDay(input, time) &&
      ConsumeLiteral(input, " ") && ConsumeDigits(input, 4, year) && input.empty()) {
    return MakeUtcTime(year, month, day, time);
  }
  return std::nullopt;
}

}  // namespace

std::optional<absl::Time> ParseHttpDate(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  std::optional<absl::Time> date = ParseImfFixdate(value);
  if (!date.has_value()) date = ParseRfc850Date(value, now);
  if (!date.has_value()) date = ParseAsctimeDate(value);
  return date;
}

}  // namespace objgate
