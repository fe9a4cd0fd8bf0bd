#include "common/command_line.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, command_line_test_count, 7, "how many things there are, for the test");
ABSL_FLAG(std::string, command_line_test_name, "",
          "a long help text that has to be wrapped because it runs on well past the eighty "
          "columns a terminal shows");

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kCount = {"command_line_test_count"};

TEST(EnvironmentVariableForTest, IsThePrefixAndTheNameInUpperCase) {
  EXPECT_EQ(EnvironmentVariableFor("OBJGATE_", "grace_period"), "OBJGATE_GRACE_PERIOD");
  EXPECT_EQ(EnvironmentVariableFor("REFSTORE_", "listen"), "REFSTORE_LISTEN");
}

TEST(ApplyEnvironmentFallbacksTest, SetsFlagsFromTheEnvironment) {
  setenv("TEST_COMMAND_LINE_TEST_COUNT", "42", 1);
  ASSERT_TRUE(ApplyEnvironmentFallbacks("TEST_", kCount).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_command_line_test_count), 42);
  unsetenv("TEST_COMMAND_LINE_TEST_COUNT");
}

TEST(ApplyEnvironmentFallbacksTest, UnsetVariableLeavesTheDefault) {
  absl::SetFlag(&FLAGS_command_line_test_count, 7);
  unsetenv("TEST_COMMAND_LINE_TEST_COUNT");
  ASSERT_TRUE(ApplyEnvironmentFallbacks("TEST_", kCount).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_command_line_test_count), 7);
}

TEST(ApplyEnvironmentFallbacksTest, BadValueIsNamed) {
  setenv("TEST_COMMAND_LINE_TEST_COUNT", "many", 1);
  absl::Status status = ApplyEnvironmentFallbacks("TEST_", kCount);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("TEST_COMMAND_LINE_TEST_COUNT=many"));
  unsetenv("TEST_COMMAND_LINE_TEST_COUNT");
}

TEST(ApplyEnvironmentFallbacksTest, UnknownFlagIsInternal) {
  EXPECT_EQ(ApplyEnvironmentFallbacks("TEST_", {"no_such_flag"}).code(),
            absl::StatusCode::kInternal);
}

TEST(FlagsDefinedInTest, ListsTheFlagsOfOneFileInOrder) {
  EXPECT_THAT(FlagsDefinedIn("common/command_line_test.cc"),
              ElementsAre("command_line_test_count", "command_line_test_name"));
}

TEST(DescribeFlagsTest, ShowsDefaultEnvironmentVariableAndWrappedHelp) {
  const std::string help =
      DescribeFlags({"command_line_test_count", "command_line_test_name"}, "TEST_", kCount);
  EXPECT_THAT(help, HasSubstr("  --command_line_test_count (default 7; env "
                              "TEST_COMMAND_LINE_TEST_COUNT)\n"
                              "      how many things there are, for the test\n"));
  EXPECT_THAT(help, HasSubstr("  --command_line_test_name (default \"\")\n"));
  EXPECT_THAT(help, Not(HasSubstr("TEST_COMMAND_LINE_TEST_NAME")));
  for (absl::string_view line : absl::StrSplit(help, '\n')) EXPECT_LE(line.size(), 80u);
}

TEST(WantsHelpTest, FindsHelpFlagsBeforeTheEndOfFlags) {
  const char* with_help[] = {"prog", "put", "--help"};
  const char* with_h[] = {"prog", "-h"};
  const char* after_end[] = {"prog", "--", "--help"};
  const char* without[] = {"prog", "ls", "--long"};
  EXPECT_TRUE(WantsHelp(3, const_cast<char**>(with_help)));
  EXPECT_TRUE(WantsHelp(2, const_cast<char**>(with_h)));
  EXPECT_FALSE(WantsHelp(3, const_cast<char**>(after_end)));
  EXPECT_FALSE(WantsHelp(3, const_cast<char**>(without)));
}

}  // namespace
}  // namespace objgate
