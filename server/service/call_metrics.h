#ifndef OBJGATE_SERVER_SERVICE_CALL_METRICS_H_
#define OBJGATE_SERVER_SERVICE_CALL_METRICS_H_

#include "absl/strings/string_view.h"
#include "server/metrics/metric_registry.h"
#include "server/service/call_observer.h"

namespace objgate {

// Counts the service's calls into a MetricRegistry:
//   objgate_calls_total{method,code}            calls ended, by gRPC code
//   objgate_call_duration_seconds{method}       histogram of call durations
//   objgate_calls_in_flight{method}             calls started and not yet ended
//   objgate_bytes_received_total                payload bytes from callers (uploads)
//   objgate_bytes_sent_total                    payload bytes to callers (downloads)
//   objgate_retries_total                       upstream attempts repeated
//   objgate_resumed_downloads_total             downloads continued mid-body
class CallMetrics final : public CallObserver {
 public:
  // Adds the families to `registry`, which must outlive this.
  explicit CallMetrics(metrics::MetricRegistry& registry);

  void OnCallStart(absl::string_view method) override;
  void OnCallEnd(const AccessRecord& record) override;

 private:
  metrics::Family<metrics::Counter>& calls_;
  metrics::Family<metrics::Histogram>& duration_;
  metrics::Family<metrics::Gauge>& in_flight_;
  metrics::Counter& bytes_received_;
  metrics::Counter& bytes_sent_;
  metrics::Counter& retries_;
  metrics::Counter& resumes_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_CALL_METRICS_H_
