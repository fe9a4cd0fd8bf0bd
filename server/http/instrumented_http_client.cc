#include "server/http/instrumented_http_client.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace objgate {
namespace {

// Passes a response through, noting its status.
class StatusRecordingSink final : public ResponseSink {
 public:
  explicit StatusRecordingSink(ResponseSink& inner) : inner_(inner) {}

  absl::Status OnHead(const HttpResponseHead& head) override {
    status_ = head.status;
    return inner_.OnHead(head);
  }
  absl::Status OnBody(absl::string_view bytes) override { return inner_.OnBody(bytes); }

  // 0 until the head arrived.
  int status() const { return status_; }

 private:
  ResponseSink& inner_;
  int status_ = 0;
};

}  // namespace

InstrumentedHttpClient::InstrumentedHttpClient(HttpClient& inner, metrics::MetricRegistry& registry)
    : inner_(inner),
      requests_(registry.AddCounter(
          "objgate_upstream_requests_total",
          "Requests to the upstream, by HTTP method and status; status \"error\" when no "
          "answer arrived (refused, reset, timed out, cancelled).",
          {"method", "status"})),
      duration_(registry.AddHistogram("objgate_upstream_request_duration_seconds",
                                      "Time from sending an upstream request to the end of "
                                      "its answer, by HTTP method.",
                                      {"method"}, metrics::LatencyBucketsSeconds())) {}

absl::Status InstrumentedHttpClient::Perform(const HttpRequest& request, ResponseSink& sink) {
  StatusRecordingSink recording(sink);
  const absl::Time start = absl::Now();
  absl::Status status = inner_.Perform(request, recording);
  duration_.WithLabels({request.method}).Observe(absl::ToDoubleSeconds(absl::Now() - start));
  const std::string status_label =
      recording.status() != 0 ? absl::StrCat(recording.status()) : "error";
  requests_.WithLabels({request.method, status_label}).Increment();
  return status;
}

}  // namespace objgate
