#include "tools/refstore/metrics.h"

#include "absl/strings/str_cat.h"

namespace objgate::refstore {

void RequestMetrics::RecordRequest(absl::string_view route, int status,
                                   uint64_t body_bytes_received, uint64_t body_bytes_sent) {
  absl::MutexLock lock(&mu_);
  ++requests_[{std::string(route), status}];
  body_bytes_received_ += body_bytes_received;
  body_bytes_sent_ += body_bytes_sent;
}

std::string RequestMetrics::Render(const StoreStats& stats) const {
  absl::MutexLock lock(&mu_);
  std::string text =
      "# HELP refstore_http_requests_total Requests answered, by route and status.\n"
      "# TYPE refstore_http_requests_total counter\n";
  for (const auto& [route_status, count] : requests_) {
    absl::StrAppend(&text, "refstore_http_requests_total{route=\"", route_status.first,
                    "\",status=\"", route_status.second, "\"} ", count, "\n");
  }
  absl::StrAppend(
      &text,
      "# HELP refstore_http_received_body_bytes_total Request body bytes read.\n"
      "# TYPE refstore_http_received_body_bytes_total counter\n"
      "refstore_http_received_body_bytes_total ", body_bytes_received_, "\n",
      "# HELP refstore_http_sent_body_bytes_total Response body bytes sent.\n"
      "# TYPE refstore_http_sent_body_bytes_total counter\n"
      "refstore_http_sent_body_bytes_total ", body_bytes_sent_, "\n",
      "# HELP refstore_objects Objects stored, all tenants.\n"
      "# TYPE refstore_objects gauge\n"
      "refstore_objects ", stats.objects, "\n",
      "# HELP refstore_stored_bytes Object bytes stored, all tenants.\n"
      "# TYPE refstore_stored_bytes gauge\n"
      "refstore_stored_bytes ", stats.bytes, "\n");
  return text;
}

}  // namespace objgate::refstore
