#include "common/validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;

TEST(ValidateObjectKeyTest, AcceptsPathLikeAndBinaryLookingKeys) {
  for (absl::string_view key : {"a", "dir/sub/file.txt", "../../etc/passwd", ".", "..",
                                "with space", "ünïcødé", "/leading/slash"}) {
    EXPECT_TRUE(ValidateObjectKey(key).ok()) << key;
  }
  EXPECT_TRUE(ValidateObjectKey(std::string(kMaxKeyBytes, 'k')).ok());
}

TEST(ValidateObjectKeyTest, RejectsEmptyOverlongAndNul) {
  struct Case {
    std::string key;
    const char* message;
  };
  const Case cases[] = {
      {"", "key is empty"},
      {std::string(kMaxKeyBytes + 1, 'k'), "1025 bytes long"},
      {std::string("a\0b", 3), "NUL"},
  };
  for (const Case& c : cases) {
    absl::Status status = ValidateObjectKey(c.key);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message));
  }
}

TEST(ValidateOptionalKeyTest, AllowsEmptyAndNamesTheField) {
  EXPECT_TRUE(ValidateOptionalKey("", "prefix").ok());
  EXPECT_THAT(std::string(ValidateOptionalKey(std::string(2000, 'p'), "prefix").message()),
              HasSubstr("prefix is 2000 bytes"));
}

TEST(ValidateTenantIdTest, AcceptsUuidsAndSimpleNames) {
  for (absl::string_view id : {"550e8400-e29b-41d4-a716-446655440000", "tenant-a", "t1",
                               "Team_7.prod"}) {
    EXPECT_TRUE(ValidateTenantId(id).ok()) << id;
  }
}

TEST(ValidateTenantIdTest, RejectsWhatCouldEscapeADirectoryOrAHeader) {
  for (absl::string_view id : {"", ".", "..", "../x", "a/b", "-lead", "a b", "a\r\nX: y",
                               "ü"}) {
    EXPECT_EQ(ValidateTenantId(id).code(), absl::StatusCode::kInvalidArgument) << id;
  }
  EXPECT_FALSE(ValidateTenantId(std::string(kMaxTenantIdChars + 1, 'a')).ok());
}

}  // namespace
}  // namespace objgate
