#ifndef OBJGATE_TOOLS_REFSTORE_METRICS_H_
#define OBJGATE_TOOLS_REFSTORE_METRICS_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "tools/refstore/object_store.h"

namespace objgate::refstore {

// Request counters for GET /metrics, rendered in the Prometheus text format. Routes are
// a fixed set of names chosen by the caller, never request paths, so the number of
// series stays bounded whatever clients send. Safe for concurrent use.
class RequestMetrics {
 public:
  void RecordRequest(absl::string_view route, int status, uint64_t body_bytes_received,
                     uint64_t body_bytes_sent);

  // The counters, plus gauges of what the store holds.
  std::string Render(const StoreStats& stats) const;

 private:
  mutable absl::Mutex mu_;
  absl::btree_map<std::pair<std::string, int>, uint64_t> requests_ ABSL_GUARDED_BY(mu_);
  uint64_t body_bytes_received_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t body_bytes_sent_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace objgate::refstore

#endif  // OBJGATE_TOOLS_REFSTORE_METRICS_H_
