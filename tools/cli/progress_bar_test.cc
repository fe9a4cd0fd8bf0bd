#include "tools/cli/progress_bar.h"

#include "gtest/gtest.h"

namespace objgate::cli {
namespace {

TEST(HumanBytesTest, PicksTheUnit) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(int64_t{1} << 30), "1.0 GiB");
}

TEST(ProgressBarTest, RendersBarPercentRateAndEta) {
  EXPECT_EQ(ProgressBar::Render(int64_t{512} << 20, int64_t{1} << 30, absl::Seconds(4)),
            "[==========>         ]  50%  512.0 MiB / 1.0 GiB  128.0 MiB/s  ETA 0:04");
  EXPECT_EQ(ProgressBar::Render(100, 100, absl::Seconds(1)),
            "[====================] 100%  100 B / 100 B  100 B/s  ETA 0:00");
}

TEST(ProgressBarTest, UnknownTotalShowsBytesRateAndTime) {
  EXPECT_EQ(ProgressBar::Render(int64_t{3} << 20, -1, absl::Seconds(90)),
            "3.0 MiB  34.1 KiB/s  1:30");
}

TEST(ProgressBarTest, NothingDoneYetHasNoEta) {
  EXPECT_EQ(ProgressBar::Render(0, 1000, absl::ZeroDuration()),
            "[>                   ]   0%  0 B / 1000 B  0 B/s  ETA --:--");
}

}  // namespace
}  // namespace objgate::cli
