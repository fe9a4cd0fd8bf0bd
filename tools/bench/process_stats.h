#ifndef OBJGATE_TOOLS_BENCH_PROCESS_STATS_H_
#define OBJGATE_TOOLS_BENCH_PROCESS_STATS_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace objgate::bench {

// CPU time a process has used so far, user plus system (utime + stime of /proc/PID/stat).
absl::StatusOr<double> CpuSeconds(pid_t pid);

// A memory figure of /proc/PID/status in bytes: "VmRSS" (resident now) or "VmHWM" (the
// peak resident set since the process started).
absl::StatusOr<int64_t> MemoryBytes(pid_t pid, absl::string_view field);

}  // namespace objgate::bench

#endif  // OBJGATE_TOOLS_BENCH_PROCESS_STATS_H_
