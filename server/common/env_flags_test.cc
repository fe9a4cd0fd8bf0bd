#include "server/common/env_flags.h"

#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, env_flags_test_count, 7, "for the test");

namespace objgate {
namespace {

TEST(ApplyEnvironmentFallbacksTest, SetsFlagsFromTheEnvironment) {
  setenv("ENV_FLAGS_TEST_COUNT", "42", 1);
  ASSERT_TRUE(ApplyEnvironmentFallbacks({{"env_flags_test_count", "ENV_FLAGS_TEST_COUNT"}}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_env_flags_test_count), 42);
}

TEST(ApplyEnvironmentFallbacksTest, UnsetVariableLeavesTheDefault) {
  absl::SetFlag(&FLAGS_env_flags_test_count, 7);
  unsetenv("ENV_FLAGS_TEST_COUNT");
  ASSERT_TRUE(ApplyEnvironmentFallbacks({{"env_flags_test_count", "ENV_FLAGS_TEST_COUNT"}}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_env_flags_test_count), 7);
}

TEST(ApplyEnvironmentFallbacksTest, BadValueIsNamed) {
  setenv("ENV_FLAGS_TEST_COUNT", "many", 1);
  absl::Status status =
      ApplyEnvironmentFallbacks({{"env_flags_test_count", "ENV_FLAGS_TEST_COUNT"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find("ENV_FLAGS_TEST_COUNT=many"), std::string::npos);
  unsetenv("ENV_FLAGS_TEST_COUNT");
}

TEST(ApplyEnvironmentFallbacksTest, UnknownFlagIsInternal) {
  EXPECT_EQ(ApplyEnvironmentFallbacks({{"no_such_flag", "X"}}).code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace objgate
