#include "common/url_encoding.h"

#include <string>

#include "gtest/gtest.h"

namespace objgate {
namespace {

TEST(UrlEncodeTest, KeepsUnreservedCharactersAndEscapesEveryOtherByte) {
  EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UrlEncode("a b/c?d=e&f+g%"), "a%20b%2Fc%3Fd%3De%26f%2Bg%25");
  EXPECT_EQ(UrlEncode(std::string("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(UrlEncode("\xc3\xa9"), "%C3%A9");
}

TEST(PercentDecodeTest, DecodesEscapesAndPlusOnlyWhereAsked) {
  EXPECT_EQ(PercentDecode("a+b%2B%2fc", true).value_or("<error>"), "a b+/c");
  EXPECT_EQ(PercentDecode("a+b", false).value_or("<error>"), "a+b");
  EXPECT_EQ(PercentDecode("%00", false).value_or("<error>"), std::string(1, '\0'));
  EXPECT_FALSE(PercentDecode("%", false).ok());
  EXPECT_FALSE(PercentDecode("%4", false).ok());
  EXPECT_FALSE(PercentDecode("%zz", false).ok());
}

TEST(PercentDecodeTest, UndoesUrlEncodeForEveryByte) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  EXPECT_EQ(PercentDecode(UrlEncode(every_byte), true).value_or("<error>"), every_byte);
}

}  // namespace
}  // namespace objgate
