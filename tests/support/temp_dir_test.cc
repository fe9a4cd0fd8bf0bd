#include "tests/support/temp_dir.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace objgate::test_support {
namespace {

TEST(TempDirTest, CreatesAnEmptyDirectoryAndRemovesItWithItsContents) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(path));
    EXPECT_TRUE(std::filesystem::is_empty(path));
    std::filesystem::create_directories(dir.Sub("a/b"));
    std::ofstream(dir.Sub("a/b/file")) << "bytes";
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDirTest, EachInstanceGetsItsOwnDirectory) {
  TempDir first;
  TempDir second;
  EXPECT_NE(first.path(), second.path());
}

}  // namespace
}  // namespace objgate::test_support
