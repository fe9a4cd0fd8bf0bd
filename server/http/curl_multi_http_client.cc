#include "server/http/curl_multi_http_client.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace objgate {
namespace {

std::string Describe(const HttpRequest& request) {
  return absl::StrCat(request.method, " ", request.url);
}

absl::Status ShutDown(absl::string_view what) {
  return absl::CancelledError(absl::StrCat(what, ": the HTTP client shut down"));
}

}  // namespace

struct CurlMultiHttpClient::Exchange {
  HttpRequest request;
  AsyncResponseSink* sink = nullptr;
  std::unique_ptr<CurlTransfer> transfer;
};

absl::StatusOr<std::unique_ptr<CurlMultiHttpClient>> CurlMultiHttpClient::Create(
    CurlHttpClientOptions options) {
  if (absl::Status valid = ValidateCurlOptions(options); !valid.ok()) return valid;
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  const long max_connections = static_cast<long>(options.max_connections);
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_connections);
  // The cache keeps as many idle connections as may be open, so that a steady load opens
  // none.
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, max_connections);
  return std::unique_ptr<CurlMultiHttpClient>(new CurlMultiHttpClient(std::move(options), multi));
}

CurlMultiHttpClient::CurlMultiHttpClient(CurlHttpClientOptions options, CURLM* multi)
    : options_(std::move(options)), multi_(multi), thread_([this] { Loop(); }) {}

CurlMultiHttpClient::~CurlMultiHttpClient() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  thread_.join();
  for (CURL* curl : idle_handles_) curl_easy_cleanup(curl);
  curl_multi_cleanup(multi_);
}

void CurlMultiHttpClient::Start(HttpRequest request, AsyncResponseSink& sink) {
  auto exchange = std::make_unique<Exchange>();
  exchange->request = std::move(request);
  exchange->sink = &sink;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_.push_back(std::move(exchange));
    ++in_flight_;
  }
  curl_multi_wakeup(multi_);
}

CurlMultiHttpClient::Stats CurlMultiHttpClient::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{connections_opened_, in_flight_};
}

void CurlMultiHttpClient::Loop() {
  for (;;) {
    std::vector<std::unique_ptr<Exchange>> queued;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      queued.swap(queued_);
    }
    for (auto& exchange : queued) Begin(std::move(exchange));
    int running = 0;
    curl_multi_perform(multi_, &running);
    EndFinished();
    // Returns when a socket is ready, a timer of libcurl's is due or Start woke it; the
    // timeout is a backstop for the progress callbacks that poll for cancellation.
    curl_multi_poll(multi_, nullptr, 0, /*timeout_ms=*/1000, nullptr);
  }
  // A sink's OnDone may start another exchange; it is cancelled in turn.
  for (;;) {
    std::vector<std::unique_ptr<Exchange>> queued;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queued.swap(queued_);
    }
    if (queued.empty() && running_.empty()) break;
    for (auto& exchange : queued) {
      const std::string what = Describe(exchange->request);
      Finish(std::move(exchange), 0, ShutDown(what));
    }
    while (!running_.empty()) {
      CURL* curl = running_.begin()->first;
      End(curl, ShutDown(Describe(running_.begin()->second->request)));
    }
  }
}

void CurlMultiHttpClient::Begin(std::unique_ptr<Exchange> exchange) {
  if (absl::Now() >= exchange->request.deadline) {
    const std::string what = Describe(exchange->request);
    Finish(std::move(exchange), 0,
           absl::DeadlineExceededError(absl::StrCat("deadline passed before ", what)));
    return;
  }
  CURL* curl = nullptr;
  if (!idle_handles_.empty()) {
    curl = idle_handles_.back();
    idle_handles_.pop_back();
  } else {
    curl = curl_easy_init();
  }
  if (curl == nullptr) {
    const std::string what = Describe(exchange->request);
    Finish(std::move(exchange), 0,
           absl::ResourceExhaustedError(absl::StrCat("no libcurl handle for ", what)));
    return;
  }
  exchange->transfer =
      std::make_unique<CurlTransfer>(curl, exchange->request, *exchange->sink, options_);
  exchange->transfer->Configure();
  running_.emplace(curl, std::move(exchange));
  curl_multi_add_handle(multi_, curl);
}

void CurlMultiHttpClient::EndFinished() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* curl = message->easy_handle;
    const CURLcode code = message->data.result;
    // `message` is libcurl's until the handle is removed, so read it first.
    auto it = running_.find(curl);
    if (it == running_.end()) continue;
    End(curl, it->second->transfer->Outcome(code));
  }
}

void CurlMultiHttpClient::End(CURL* curl, absl::Status status) {
  auto it = running_.find(curl);
  std::unique_ptr<Exchange> exchange = std::move(it->second);
  running_.erase(it);
  curl_multi_remove_handle(multi_, curl);
  const int64_t new_connections = exchange->transfer->NewConnections();
  idle_handles_.push_back(curl);
  Finish(std::move(exchange), new_connections, std::move(status));
}

void CurlMultiHttpClient::Finish(std::unique_ptr<Exchange> exchange, int64_t new_connections,
                                 absl::Status status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections_opened_ += new_connections;
    --in_flight_;
  }
  AsyncResponseSink* sink = exchange->sink;
  exchange.reset();
  sink->OnDone(std::move(status));
}

}  // namespace objgate
