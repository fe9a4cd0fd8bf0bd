#include "tests/support/process_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace objgate::test_support {
namespace {

TEST(ProcessStatsTest, ReadsThisProcess) {
  const pid_t self = getpid();
  ASSERT_TRUE(CpuSeconds(self).ok());
  absl::StatusOr<int64_t> rss = MemoryBytes(self, "VmRSS");
  ASSERT_TRUE(rss.ok()) << rss.status();
  EXPECT_GT(*rss, 0);
  EXPECT_GE(*MemoryBytes(self, "VmHWM"), *rss);
  EXPECT_EQ(MemoryBytes(self, "NoSuchField").status().code(), absl::StatusCode::kNotFound);
}

TEST(ProcessStatsTest, CountsOpenFileDescriptors) {
  const pid_t self = getpid();
  const int64_t before = *OpenFileDescriptors(self);
  const int fd = open("/dev/null", O_RDONLY);
  EXPECT_EQ(*OpenFileDescriptors(self), before + 1);
  close(fd);
  EXPECT_EQ(*OpenFileDescriptors(self), before);
}

}  // namespace
}  // namespace objgate::test_support
