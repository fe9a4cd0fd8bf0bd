#include "server/service/call_metrics.h"

namespace objgate {

CallMetrics::CallMetrics(metrics::MetricRegistry& registry)
    : calls_(registry.AddCounter("objgate_calls_total", "Calls ended, by method and gRPC code.",
                                 {"method", "code"})),
      duration_(registry.AddHistogram("objgate_call_duration_seconds",
                                      "Time from a call's start to its end, by method.", {"method"},
                                      metrics::LatencyBucketsSeconds())),
      in_flight_(registry.AddGauge("objgate_calls_in_flight",
                                   "Calls started and not yet ended, by method.", {"method"})),
      bytes_received_(registry
                          .AddCounter("objgate_bytes_received_total",
                                      "Payload bytes received from callers (uploads).")
                          .WithLabels({})),
      bytes_sent_(
          registry
              .AddCounter("objgate_bytes_sent_total", "Payload bytes sent to callers (downloads).")
              .WithLabels({})),
      retries_(registry
                   .AddCounter("objgate_retries_total",
                               "Upstream attempts repeated after a retryable failure.")
                   .WithLabels({})),
      resumes_(registry
                   .AddCounter("objgate_resumed_downloads_total",
                               "Downloads continued from the next byte after the upstream "
                               "broke off mid-body, one per resume.")
                   .WithLabels({})) {}

void CallMetrics::OnCallStart(absl::string_view method) { in_flight_.WithLabels({method}).Add(1); }

void CallMetrics::OnCallEnd(const AccessRecord& record) {
  in_flight_.WithLabels({record.method}).Add(-1);
  calls_.WithLabels({record.method, absl::StatusCodeToString(record.status.code())}).Increment();
  duration_.WithLabels({record.method}).Observe(absl::ToDoubleSeconds(record.duration));
  bytes_received_.Increment(record.bytes_received);
  bytes_sent_.Increment(record.bytes_sent);
  retries_.Increment(record.retries);
  resumes_.Increment(record.resumes);
}

}  // namespace objgate
