#include "server/http/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/retry/retryable.h"
#include "server/http/curl_status.h"

namespace objgate {
namespace {

// libcurl must be initialised once per process before any thread uses it.
void GlobalInitCurl() {
  static absl::once_flag once;
  absl::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// The state of one transfer, shared with libcurl's callbacks.
class Transfer {
 public:
  Transfer(CURL* curl, const HttpRequest& request, ResponseSink& sink)
      : curl_(curl), request_(request), sink_(sink) {}

  static size_t OnHeaderLine(char* data, size_t size, size_t count, void* self) {
    return static_cast<Transfer*>(self)->HeaderLine(absl::string_view(data, size * count));
  }
  static size_t OnBody(char* data, size_t size, size_t count, void* self) {
    return static_cast<Transfer*>(self)->Body(absl::string_view(data, size * count));
  }
  static size_t OnRead(char* buffer, size_t size, size_t count, void* self) {
    return static_cast<Transfer*>(self)->ReadBody(absl::Span<char>(buffer, size * count));
  }
  static int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* self) {
    auto* transfer = static_cast<Transfer*>(self);
    // Each request head libcurl sends starts with the request line.
    if (type == CURLINFO_HEADER_OUT &&
        absl::StartsWith(absl::string_view(data, size), transfer->request_.method + " ")) {
      ++transfer->head_.requests_sent;
    }
    return 0;
  }
  static int OnProgress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* transfer = static_cast<Transfer*>(self);
    return transfer->request_.is_cancelled && transfer->request_.is_cancelled() ? 1 : 0;
  }

  // Hands the head to the sink if no body byte did so already (empty bodies).
  absl::Status Finish() {
    if (!head_delivered_) DeliverHead();
    return callback_error_;
  }
  const absl::Status& callback_error() const { return callback_error_; }
  void CountSendsFromZero() { head_.requests_sent = 0; }

 private:
  size_t HeaderLine(absl::string_view line) {
    if (absl::StartsWith(line, "HTTP/")) {
      // A new status line: an interim 1xx answer came before; start over.
      head_.headers.Clear();
      return line.size();
    }
    const size_t colon = line.find(':');
    if (colon != absl::string_view::npos) {
      head_.headers.Add(
          std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
          std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
    }
    return line.size();
  }

  size_t Body(absl::string_view bytes) {
    if (!head_delivered_ && !DeliverHead()) return 0;
    callback_error_ = sink_.OnBody(bytes);
    return callback_error_.ok() ? bytes.size() : 0;
  }

  size_t ReadBody(absl::Span<char> buffer) {
    absl::StatusOr<size_t> read = request_.body->Read(buffer);
    if (!read.ok()) {
      callback_error_ = read.status();
      return CURL_READFUNC_ABORT;
    }
    return *read;
  }

  bool DeliverHead() {
    head_delivered_ = true;
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    head_.status = static_cast<int>(status);
    callback_error_ = sink_.OnHead(head_);
    return callback_error_.ok();
  }

  CURL* const curl_;
  const HttpRequest& request_;
  ResponseSink& sink_;
  HttpResponseHead head_;
  bool head_delivered_ = false;
  absl::Status callback_error_;
};

// libcurl's whole-transfer timeout for `deadline`, rounded up so that a transfer libcurl
// times out has really run past the deadline.
long RemainingMillis(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return 0;  // libcurl: 0 means no timeout
  return std::max<long>(1, absl::ToInt64Milliseconds(deadline - absl::Now()) + 1);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(
    CurlHttpClientOptions options) {
  if (options.max_connections == 0) {
    return absl::InvalidArgumentError("max_connections must be at least 1");
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("connect_timeout must be positive");
  }
  if (options.receive_buffer_bytes < 1024 || options.receive_buffer_bytes > CURL_MAX_READ_SIZE) {
    return absl::InvalidArgumentError(absl::StrCat(
        "receive buffer must be 1 KiB to ", CURL_MAX_READ_SIZE, " bytes"));
  }
  GlobalInitCurl();
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(options)));
}

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options)
    : options_(std::move(options)), pool_(options_.max_connections) {}

absl::Status CurlHttpClient::Perform(const HttpRequest& request, ResponseSink& sink) {
  const std::string what = absl::StrCat(request.method, " ", request.url);
  if (absl::Now() >= request.deadline) {
    return absl::DeadlineExceededError(absl::StrCat("deadline passed before ", what));
  }
  absl::StatusOr<CurlHandlePool::Lease> lease = pool_.Acquire(request.deadline,
                                                              request.is_cancelled);
  if (!lease.ok()) return lease.status();
  CURL* curl = lease->handle();
  // Reset clears the options of the last transfer but keeps the handle's live connection.
  curl_easy_reset(curl);

  Transfer transfer(curl, request, sink);
  char error_detail[CURL_ERROR_SIZE] = {0};

  Slist headers;
  auto append_header = [&headers](const std::string& line) {
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended != nullptr) {
      headers.release();
      headers.reset(appended);
    }
  };
  for (const auto& [name, value] : request.headers.entries()) {
    append_header(absl::StrCat(name, ": ", value));
  }
  // No "Expect: 100-continue": it costs a round trip per upload, and an upstream that
  // refuses the upload early still answers before reading the body.
  append_header("Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  // The path goes out as given: libcurl would otherwise remove "/../" and "/./" segments,
  // and an object key is not a file path ("a/../b" is a key of its own on S3; squashing it
  // would name another object, possibly outside the tenant's prefix).
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_detail);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXCONNECTS, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, static_cast<long>(options_.receive_buffer_bytes));
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE,
                   static_cast<long>(options_.send_buffer_bytes));
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
                   options_.http2 ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_bundle.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  }
  const long remaining_ms = RemainingMillis(request.deadline);
  const long connect_ms = absl::ToInt64Milliseconds(options_.connect_timeout);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   remaining_ms == 0 ? connect_ms : std::min(connect_ms, remaining_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, remaining_ms);

  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Transfer::OnHeaderLine);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (request.count_sends) {
    transfer.CountSendsFromZero();
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, &Transfer::OnDebug);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &transfer);
  }
  if (request.is_cancelled) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Transfer::OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  }

  if (request.body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &Transfer::OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    if (request.body_size.has_value()) {
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(*request.body_size));
    }
    if (request.method != "PUT") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(curl);

  long new_connections = 0;
  if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &new_connections) == CURLE_OK) {
    connections_opened_.fetch_add(new_connections, std::memory_order_relaxed);
  }

  // An error of our own callbacks explains the abort better than libcurl's code for it.
  if (!transfer.callback_error().ok()) return transfer.callback_error();
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    return absl::CancelledError(absl::StrCat("caller cancelled ", what));
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    if (absl::Now() >= request.deadline) {
      return absl::DeadlineExceededError(absl::StrCat("deadline passed during ", what));
    }
    // Before the deadline only the connect timeout fires: the upstream is unreachable
    // for now, which another attempt may find otherwise.
    return MarkRetryable(absl::UnavailableError(absl::StrCat(
        what, ": no connection to the upstream within ",
        absl::FormatDuration(options_.connect_timeout))));
  }
  if (code != CURLE_OK) {
    return StatusFromCurl(code, error_detail[0] != '\0' ? error_detail : curl_easy_strerror(code),
                          what);
  }
  return transfer.Finish();
}

CurlHttpClient::Stats CurlHttpClient::GetStats() const {
  return Stats{pool_.GetStats(), connections_opened_.load(std::memory_order_relaxed)};
}

}  // namespace objgate
