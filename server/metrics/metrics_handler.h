#ifndef OBJGATE_SERVER_METRICS_METRICS_HANDLER_H_
#define OBJGATE_SERVER_METRICS_METRICS_HANDLER_H_

#include "common/httpd/http_message.h"
#include "server/metrics/metric_registry.h"

namespace objgate::metrics {

// Serves `registry` (not owned; must outlive the handler) for Prometheus: GET or HEAD
// /metrics answers the text format, other paths 404, other methods 405.
httpd::HttpHandler MetricsHandler(const MetricRegistry& registry);

}  // namespace objgate::metrics

#endif  // OBJGATE_SERVER_METRICS_METRICS_HANDLER_H_
