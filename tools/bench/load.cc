#include "tools/bench/load.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "absl/synchronization/barrier.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace objgate::bench {

absl::StatusOr<LoadResult> RunLoad(const ClientFactory& new_client, const LoadShape& shape,
                                   const Operation& operation) {
  std::vector<std::unique_ptr<ObjectClient>> clients;
  for (int i = 0; i < shape.concurrency; ++i) {
    clients.push_back(new_client());
    if (absl::Status connected = clients.back()->Connect(); !connected.ok()) return connected;
  }

  std::atomic<int64_t> next_index{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<bool> failed{false};
  absl::Mutex mu;
  absl::Status first_error;
  std::vector<std::vector<double>> latencies(shape.concurrency);
  absl::Barrier* start = new absl::Barrier(shape.concurrency + 1);
  absl::Time deadline;  // written before the barrier releases the workers

  std::vector<std::thread> workers;
  for (int worker = 0; worker < shape.concurrency; ++worker) {
    workers.emplace_back([&, worker] {
      if (start->Block()) delete start;
      while (!failed.load(std::memory_order_relaxed) && absl::Now() < deadline) {
        const int64_t index = next_index.fetch_add(1, std::memory_order_relaxed);
        if (index >= shape.total_ops) break;
        const absl::Time began = absl::Now();
        absl::StatusOr<int64_t> moved = operation(*clients[worker], worker, index);
        latencies[worker].push_back(absl::ToDoubleMicroseconds(absl::Now() - began));
        if (!moved.ok()) {
          failed.store(true, std::memory_order_relaxed);
          absl::MutexLock lock(&mu);
          if (first_error.ok()) first_error = moved.status();
          break;
        }
        bytes.fetch_add(*moved, std::memory_order_relaxed);
      }
    });
  }
  const absl::Time began = absl::Now();
  deadline = began + shape.duration;
  if (start->Block()) delete start;
  for (std::thread& worker : workers) worker.join();

  if (!first_error.ok()) return first_error;
  LoadResult result;
  result.elapsed = absl::Now() - began;
  result.bytes = bytes.load();
  for (const std::vector<double>& of_worker : latencies) {
    result.latencies_us.insert(result.latencies_us.end(), of_worker.begin(), of_worker.end());
  }
  result.ops = static_cast<int64_t>(result.latencies_us.size());
  return result;
}

double Percentile(std::vector<double>& values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(fraction * values.size()));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

}  // namespace objgate::bench
