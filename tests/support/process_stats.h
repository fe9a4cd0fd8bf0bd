#ifndef OBJGATE_TESTS_SUPPORT_PROCESS_STATS_H_
#define OBJGATE_TESTS_SUPPORT_PROCESS_STATS_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace objgate::test_support {

// What another process costs, read from /proc, for tests, the soak and the benchmark.

// CPU time used so far, user plus system (utime + stime of /proc/PID/stat).
absl::StatusOr<double> CpuSeconds(pid_t pid);

// A memory figure of /proc/PID/status in bytes: "VmRSS" (resident now) or "VmHWM" (the
// peak resident set since the process started).
absl::StatusOr<int64_t> MemoryBytes(pid_t pid, absl::string_view field);

// File descriptors the process has open (entries of /proc/PID/fd).
absl::StatusOr<int64_t> OpenFileDescriptors(pid_t pid);

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_SUPPORT_PROCESS_STATS_H_
