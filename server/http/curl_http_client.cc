#include "server/http/curl_http_client.h"

#include <curl/curl.h>

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace objgate {

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(
    CurlHttpClientOptions options) {
  if (absl::Status valid = ValidateCurlOptions(options); !valid.ok()) return valid;
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(options)));
}

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options)
    : options_(std::move(options)), pool_(options_.max_connections) {}

absl::Status CurlHttpClient::Perform(const HttpRequest& request, ResponseSink& sink) {
  if (absl::Now() >= request.deadline) {
    return absl::DeadlineExceededError(
        absl::StrCat("deadline passed before ", request.method, " ", request.url));
  }
  absl::StatusOr<CurlHandlePool::Lease> lease =
      pool_.Acquire(request.deadline, request.is_cancelled);
  if (!lease.ok()) return lease.status();
  CurlTransfer transfer(lease->handle(), request, sink, options_);
  transfer.Configure();
  const CURLcode code = curl_easy_perform(lease->handle());
  connections_opened_.fetch_add(transfer.NewConnections(), std::memory_order_relaxed);
  return transfer.Outcome(code);
}

CurlHttpClient::Stats CurlHttpClient::GetStats() const {
  return Stats{pool_.GetStats(), connections_opened_.load(std::memory_order_relaxed)};
}

}  // namespace objgate
