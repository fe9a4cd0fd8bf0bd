#include "common/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace objgate {
namespace {

// Check values from RFC 3720 (iSCSI), appendix B.4, and the common "123456789" vector.
TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46dd794eu);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string bytes(100000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  const uint32_t whole = Crc32c(bytes);
  for (size_t split : {size_t{0}, size_t{1}, size_t{63}, size_t{4096}, bytes.size()}) {
    const absl::string_view view(bytes);
    EXPECT_EQ(Crc32cExtend(Crc32c(view.substr(0, split)), view.substr(split)), whole) << split;
  }
}

TEST(Crc32cTest, CombineEqualsWhole) {
  std::string bytes(300000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 13 + 5);
  const absl::string_view view(bytes);
  for (size_t split :
       {size_t{0}, size_t{1}, size_t{7}, size_t{65536}, size_t{299999}, bytes.size()}) {
    const absl::string_view a = view.substr(0, split);
    const absl::string_view b = view.substr(split);
    EXPECT_EQ(Crc32cCombine(Crc32c(a), Crc32c(b), b.size()), Crc32c(view)) << split;
  }
}

TEST(Crc32cTest, OneFlippedBitChangesIt) {
  std::string bytes(1 << 20, 'a');
  const uint32_t before = Crc32c(bytes);
  bytes[123456] ^= 0x10;
  EXPECT_NE(Crc32c(bytes), before);
}

TEST(Crc32cTest, Hex) { EXPECT_EQ(Crc32cHex(0xe3069283u), "0xe3069283"); }

}  // namespace
}  // namespace objgate
