#ifndef OBJGATE_TOOLS_BENCH_LOAD_H_
#define OBJGATE_TOOLS_BENCH_LOAD_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/bench/object_clients.h"

namespace objgate::bench {

using ClientFactory = std::function<std::unique_ptr<ObjectClient>()>;

// One operation of worker `worker`, the `index`-th of the whole load; returns the object
// bytes it moved.
using Operation =
    std::function<absl::StatusOr<int64_t>(ObjectClient& client, int worker, int64_t index)>;

struct LoadShape {
  int concurrency = 1;
  // The load ends when either is reached; operations in flight complete.
  int64_t total_ops = std::numeric_limits<int64_t>::max();
  absl::Duration duration = absl::InfiniteDuration();
};

struct LoadResult {
  int64_t ops = 0;
  int64_t bytes = 0;
  absl::Duration elapsed;
  // Of each operation, in microseconds, unsorted.
  std::vector<double> latencies_us;
};

// Runs `operation` from `shape.concurrency` threads, each with a client of its own that
// is connected before the clock starts. Fails with the first operation that fails.
absl::StatusOr<LoadResult> RunLoad(const ClientFactory& new_client, const LoadShape& shape,
                                   const Operation& operation);

// The `fraction` (0 to 1) quantile of `values` by nearest rank; sorts them.
double Percentile(std::vector<double>& values, double fraction);

}  // namespace objgate::bench

#endif  // OBJGATE_TOOLS_BENCH_LOAD_H_
