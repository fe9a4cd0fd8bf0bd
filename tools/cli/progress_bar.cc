#include "tools/cli/progress_bar.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace objgate::cli {
namespace {

constexpr int kBarWidth = 20;
constexpr absl::Duration kRedrawInterval = absl::Milliseconds(100);

std::string Clock(int64_t seconds) {
  if (seconds >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  }
  return absl::StrFormat("%d:%02d", seconds / 60, seconds % 60);
}

}  // namespace

std::string HumanBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string ProgressBar::Render(int64_t done, int64_t total, absl::Duration elapsed) {
  const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-3);
  const double rate = static_cast<double>(done) / seconds;
  const std::string speed = absl::StrCat(HumanBytes(static_cast<int64_t>(rate)), "/s");
  if (total < 0) {
    return absl::StrCat(HumanBytes(done), "  ", speed, "  ", Clock(static_cast<int64_t>(seconds)));
  }
  const double fraction = total == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / total);
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar(kBarWidth, ' ');
  std::fill(bar.begin(), bar.begin() + filled, '=');
  if (filled < kBarWidth) bar[filled] = '>';
  const std::string eta =
      rate > 0 ? Clock(static_cast<int64_t>(std::ceil((total - done) / rate))) : "--:--";
  return absl::StrFormat("[%s] %3d%%  %s / %s  %s  ETA %s", bar,
                         static_cast<int>(fraction * 100), HumanBytes(done), HumanBytes(total),
                         speed, eta);
}

ProgressBar::ProgressBar(std::FILE* out, absl::Time (*now)())
    : out_(out), now_(now), start_(now()) {}

void ProgressBar::Update(int64_t done, int64_t total) {
  done_ = done;
  total_ = total;
  const absl::Time now = now_();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  // "\r" back to the line's start, "\033[K" clears what a longer line left behind.
  std::fprintf(out_, "\r%s\033[K", Render(done_, total_, now - start_).c_str());
  std::fflush(out_);
}

void ProgressBar::Finish() {
  std::fprintf(out_, "\r%s\033[K\n", Render(done_, total_, now_() - start_).c_str());
  std::fflush(out_);
}

}  // namespace objgate::cli
