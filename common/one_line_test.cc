#include "common/one_line.h"

#include <string>

#include "gtest/gtest.h"

namespace objgate {
namespace {

TEST(OneLineTest, TrimsAndReplacesControlBytes) {
  EXPECT_EQ(OneLine("  disk\r\nfailure\t \n"), "disk  failure");
  EXPECT_EQ(OneLine(""), "");
}

TEST(OneLineTest, CutsLongTextAtACharacterBoundary) {
  EXPECT_EQ(OneLine(std::string(300, 'a'), 10), "aaaaaaaaaa...");
  // "é" is two bytes; a cut after 3 bytes of "aaé..." would split it.
  EXPECT_EQ(OneLine("aa\xc3\xa9zzzz", 3), "aa...");
  EXPECT_EQ(OneLine("aa\xc3\xa9zzzz", 4), "aa\xc3\xa9...");
}

}  // namespace
}  // namespace objgate
