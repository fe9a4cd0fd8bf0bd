#ifndef OBJGATE_SERVER_HTTP_INSTRUMENTED_HTTP_CLIENT_H_
#define OBJGATE_SERVER_HTTP_INSTRUMENTED_HTTP_CLIENT_H_

#include "absl/status/status.h"
#include "server/http/http_client.h"
#include "server/metrics/metric_registry.h"

namespace objgate {

// An HttpClient that counts the requests of the one it wraps:
//   objgate_upstream_requests_total{method,status}     by HTTP status, or status="error"
//                                                      when no answer arrived
//   objgate_upstream_request_duration_seconds{method}  histogram, whole exchange
// A request the transport sends again by itself counts once; retries by the layers above
// are separate requests.
class InstrumentedHttpClient final : public HttpClient {
 public:
  // `inner` and `registry` must outlive this; the families are added to `registry`.
  InstrumentedHttpClient(HttpClient& inner, metrics::MetricRegistry& registry);

  absl::Status Perform(const HttpRequest& request, ResponseSink& sink) override;

 private:
  HttpClient& inner_;
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& duration_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_HTTP_INSTRUMENTED_HTTP_CLIENT_H_
