#include "server/http/curl_transfer.h"

#include <algorithm>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/retry/retryable.h"
#include "server/http/curl_status.h"

namespace objgate {
namespace {

// libcurl's whole-transfer timeout for `deadline`, rounded up so that a transfer libcurl
// times out has really run past the deadline.
long RemainingMillis(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return 0;  // libcurl: 0 means no timeout
  return std::max<long>(1, absl::ToInt64Milliseconds(deadline - absl::Now()) + 1);
}

std::string What(const HttpRequest& request) {
  return absl::StrCat(request.method, " ", request.url);
}

}  // namespace

absl::Status ValidateCurlOptions(const CurlHttpClientOptions& options) {
  if (options.max_connections == 0) {
    return absl::InvalidArgumentError("max_connections must be at least 1");
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("connect_timeout must be positive");
  }
  if (options.receive_buffer_bytes < 1024 || options.receive_buffer_bytes > CURL_MAX_READ_SIZE) {
    return absl::InvalidArgumentError(
        absl::StrCat("receive buffer must be 1 KiB to ", CURL_MAX_READ_SIZE, " bytes"));
  }
  static absl::once_flag once;
  absl::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return absl::OkStatus();
}

CurlTransfer::CurlTransfer(CURL* curl, const HttpRequest& request, ResponseSink& sink,
                           const CurlHttpClientOptions& options)
    : curl_(curl), request_(request), sink_(sink), options_(options) {}

CurlTransfer::~CurlTransfer() = default;

void CurlTransfer::Configure() {
  CURL* curl = curl_;
  curl_easy_reset(curl);
  auto append_header = [this](const std::string& line) {
    curl_slist* appended = curl_slist_append(headers_.get(), line.c_str());
    if (appended != nullptr) {
      headers_.release();
      headers_.reset(appended);
    }
  };
  for (const auto& [name, value] : request_.headers.entries()) {
    append_header(absl::StrCat(name, ": ", value));
  }
  // No "Expect: 100-continue": it costs a round trip per upload, and an upstream that
  // refuses the upload early still answers before reading the body.
  append_header("Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, request_.url.c_str());
  // The path goes out as given: libcurl would otherwise remove "/../" and "/./" segments,
  // and an object key is not a file path ("a/../b" is a key of its own on S3; squashing it
  // would name another object, possibly outside the tenant's prefix).
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_.get());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_detail_);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  // A handle driven on its own keeps its one connection; under curl_multi the multi
  // handle's cache holds the connections and this is not used.
  curl_easy_setopt(curl, CURLOPT_MAXCONNECTS, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, static_cast<long>(options_.receive_buffer_bytes));
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, static_cast<long>(options_.send_buffer_bytes));
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
                   options_.http2 ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_bundle.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  }
  const long remaining_ms = RemainingMillis(request_.deadline);
  const long connect_ms = absl::ToInt64Milliseconds(options_.connect_timeout);
  connect_limited_by_deadline_ = remaining_ms != 0 && remaining_ms <= connect_ms;
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   connect_limited_by_deadline_ ? remaining_ms : connect_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, remaining_ms);

  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &CurlTransfer::OnHeaderLine);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CurlTransfer::OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
  if (request_.count_sends) {
    head_.requests_sent = 0;
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, &CurlTransfer::OnDebug);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, this);
  }
  if (request_.is_cancelled) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &CurlTransfer::OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
  }

  if (request_.body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &CurlTransfer::OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, this);
    if (request_.body_size.has_value()) {
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(*request_.body_size));
    }
    if (request_.method != "PUT") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request_.method.c_str());
    }
  } else if (request_.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request_.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request_.method.c_str());
  }
}

absl::Status CurlTransfer::Outcome(CURLcode code) {
  // An error of our own callbacks explains the abort better than libcurl's code for it.
  if (!callback_error_.ok()) return callback_error_;
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    return absl::CancelledError(absl::StrCat("caller cancelled ", What(request_)));
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    // Once the request went out, only the whole-transfer timeout, which is the deadline,
    // can fire; libcurl's clock may call it a millisecond before absl::Now() does.
    long request_bytes = 0;
    curl_easy_getinfo(curl_, CURLINFO_REQUEST_SIZE, &request_bytes);
    if (request_bytes > 0 || connect_limited_by_deadline_ || absl::Now() >= request_.deadline) {
      return absl::DeadlineExceededError(absl::StrCat("deadline passed during ", What(request_)));
    }
    // Before the deadline only the connect timeout fires: the upstream is unreachable
    // for now, which another attempt may find otherwise.
    return MarkRetryable(absl::UnavailableError(
        absl::StrCat(What(request_), ": no connection to the upstream within ",
                     absl::FormatDuration(options_.connect_timeout))));
  }
  if (code != CURLE_OK) {
    return StatusFromCurl(code, error_detail_[0] != '\0' ? error_detail_ : curl_easy_strerror(code),
                          What(request_));
  }
  // An empty body: no byte delivered the head yet.
  if (!head_delivered_) DeliverHead();
  return callback_error_;
}

int64_t CurlTransfer::NewConnections() const {
  long connections = 0;
  if (curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &connections) != CURLE_OK) return 0;
  return connections;
}

size_t CurlTransfer::OnHeaderLine(char* data, size_t size, size_t count, void* self) {
  auto* transfer = static_cast<CurlTransfer*>(self);
  const absl::string_view line(data, size * count);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line: an interim 1xx answer came before; start over.
    transfer->head_.headers.Clear();
    return line.size();
  }
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    transfer->head_.headers.Add(std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
                                std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return line.size();
}

size_t CurlTransfer::OnBody(char* data, size_t size, size_t count, void* self) {
  auto* transfer = static_cast<CurlTransfer*>(self);
  const absl::string_view bytes(data, size * count);
  if (!transfer->head_delivered_ && !transfer->DeliverHead()) return 0;
  transfer->callback_error_ = transfer->sink_.OnBody(bytes);
  return transfer->callback_error_.ok() ? bytes.size() : 0;
}

size_t CurlTransfer::OnRead(char* buffer, size_t size, size_t count, void* self) {
  auto* transfer = static_cast<CurlTransfer*>(self);
  absl::StatusOr<size_t> read =
      transfer->request_.body->Read(absl::Span<char>(buffer, size * count));
  if (!read.ok()) {
    transfer->callback_error_ = read.status();
    return CURL_READFUNC_ABORT;
  }
  return *read;
}

int CurlTransfer::OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* self) {
  auto* transfer = static_cast<CurlTransfer*>(self);
  // Each request head libcurl sends starts with the request line.
  if (type == CURLINFO_HEADER_OUT &&
      absl::StartsWith(absl::string_view(data, size), transfer->request_.method + " ")) {
    ++transfer->head_.requests_sent;
  }
  return 0;
}

int CurlTransfer::OnProgress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* transfer = static_cast<CurlTransfer*>(self);
  return transfer->request_.is_cancelled && transfer->request_.is_cancelled() ? 1 : 0;
}

bool CurlTransfer::DeliverHead() {
  head_delivered_ = true;
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  head_.status = static_cast<int>(status);
  callback_error_ = sink_.OnHead(head_);
  return callback_error_.ok();
}

}  // namespace objgate
