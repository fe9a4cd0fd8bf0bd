#include "common/sha256.h"

#include <string>

#include "gtest/gtest.h"

namespace objgate {
namespace {

TEST(Sha256Test, MatchesKnownVectors) {
  EXPECT_EQ(Sha256::Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  Sha256 hash;
  for (size_t i = 0; i < data.size(); i += 777) hash.Update(data.substr(i, 777));
  EXPECT_EQ(hash.HexDigest(), Sha256::Hex(data));
}

TEST(Sha256Test, ResetStartsOver) {
  Sha256 hash;
  hash.Update("garbage");
  hash.Reset();
  hash.Update("abc");
  EXPECT_EQ(hash.HexDigest(), Sha256::Hex("abc"));
}

TEST(IsSha256HexTest, AcceptsOnly64HexDigits) {
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'a')));
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'F')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(65, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a') + "g"));
}

}  // namespace
}  // namespace objgate
