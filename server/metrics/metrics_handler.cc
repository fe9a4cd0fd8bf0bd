#include "server/metrics/metrics_handler.h"

namespace objgate::metrics {

httpd::HttpHandler MetricsHandler(const MetricRegistry& registry) {
  return [&registry](const httpd::RequestHead& request, httpd::BodyReader& /*body*/,
                     httpd::ResponseWriter& response) {
    const HttpHeaders text = {{"Content-Type", "text/plain; charset=utf-8"}};
    if (request.path != "/metrics") {
      response.Send(404, text, "not found; metrics are at /metrics\n").IgnoreError();
    } else if (request.method != "GET" && request.method != "HEAD") {
      response.Send(405, {{"Allow", "GET, HEAD"}}, "").IgnoreError();
    } else {
      response
          .Send(200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                registry.Render())
          .IgnoreError();
    }
  };
}

}  // namespace objgate::metrics
