#include "common/http_headers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(HttpHeadersTest, LooksUpNamesWithoutRegardToCase) {
  HttpHeaders headers = {{"Content-Type", "text/plain"}};
  EXPECT_EQ(headers.Get("content-type"), "text/plain");
  EXPECT_EQ(headers.Get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(headers.Get("Content-Length"), std::nullopt);
}

TEST(HttpHeadersTest, KeepsOrderAndRepeatedFields) {
  HttpHeaders headers;
  headers.Add("Set-Cookie", "a=1");
  headers.Add("X-Other", "x");
  headers.Add("set-cookie", "b=2");
  EXPECT_EQ(headers.Get("Set-Cookie"), "a=1");
  EXPECT_THAT(headers.GetAll("SET-COOKIE"), ElementsAre("a=1", "b=2"));
  EXPECT_THAT(headers.entries(), ElementsAre(Pair("Set-Cookie", "a=1"), Pair("X-Other", "x"),
                                             Pair("set-cookie", "b=2")));
  headers.Clear();
  EXPECT_TRUE(headers.entries().empty());
}

}  // namespace
}  // namespace objgate
