#ifndef OBJGATE_TOOLS_CLI_PROGRESS_BAR_H_
#define OBJGATE_TOOLS_CLI_PROGRESS_BAR_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace objgate::cli {

// "1.5 MiB", "912 B": sizes for people.
std::string HumanBytes(int64_t bytes);

// One line of transfer progress, redrawn in place on a terminal:
//   [=========>          ]  47%  481.0 MiB / 1.0 GiB  212.4 MiB/s  ETA 0:03
// Redraws at most ten times a second; Finish() leaves the final line standing.
class ProgressBar {
 public:
  // Draws on `out` (a terminal); `now` is the clock, replaceable in tests.
  explicit ProgressBar(std::FILE* out, absl::Time (*now)() = &absl::Now);

  void Update(int64_t done, int64_t total);
  void Finish();

  // The line for `done` of `total` bytes (total < 0: unknown) after `elapsed`.
  static std::string Render(int64_t done, int64_t total, absl::Duration elapsed);

 private:
  std::FILE* const out_;
  absl::Time (*const now_)();
  const absl::Time start_;
  absl::Time last_draw_ = absl::InfinitePast();
  int64_t done_ = 0;
  int64_t total_ = -1;
};

}  // namespace objgate::cli

#endif  // OBJGATE_TOOLS_CLI_PROGRESS_BAR_H_
