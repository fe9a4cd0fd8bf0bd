#include "tests/soak/generated_object.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace objgate::soak {
namespace {

std::string ReadAll(std::istream& in) {
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(GeneratedObjectTest, SameSeedSameBytesOtherSeedOtherBytes) {
  GeneratedObjectBuf a(7, 200000), b(7, 200000), c(8, 200000);
  std::istream ia(&a), ib(&b), ic(&c);
  const std::string bytes = ReadAll(ia);
  EXPECT_EQ(bytes.size(), 200000u);
  EXPECT_EQ(bytes, ReadAll(ib));
  EXPECT_NE(bytes, ReadAll(ic));
  EXPECT_EQ(GeneratedObjectBuf::Sha256Of(7, 200000), Sha256::Hex(bytes));
}

TEST(GeneratedObjectTest, SeeksLikeAFile) {
  GeneratedObjectBuf buf(3, 150001);
  std::istream in(&buf);
  const std::string whole = ReadAll(in);
  in.clear();
  in.seekg(0, std::ios::end);
  EXPECT_EQ(static_cast<int64_t>(in.tellg()), 150001);
  in.seekg(70000);
  EXPECT_EQ(ReadAll(in), whole.substr(70000));
  in.clear();
  in.seekg(0);
  EXPECT_EQ(ReadAll(in), whole);
}

TEST(GeneratedObjectTest, EmptyObject) {
  GeneratedObjectBuf buf(1, 0);
  std::istream in(&buf);
  EXPECT_EQ(ReadAll(in), "");
  EXPECT_EQ(GeneratedObjectBuf::Sha256Of(1, 0), Sha256::Hex(""));
}

TEST(HashingBufTest, HashesWhatIsWritten) {
  HashingBuf buf;
  std::ostream out(&buf);
  out << "ab" << 'c';
  out.flush();
  EXPECT_EQ(buf.bytes(), 3);
  EXPECT_EQ(buf.HexDigest(), Sha256::Hex("abc"));
}

}  // namespace
}  // namespace objgate::soak
