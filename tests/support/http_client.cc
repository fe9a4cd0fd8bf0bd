#include "tests/support/http_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace objgate::test_support {
namespace {

struct Exchange {
  const HttpCall* call;
  HttpResponse* response;
  size_t body_offset = 0;
};

size_t ReadRequestBody(char* buffer, size_t size, size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  const size_t capacity = size * count;
  if (exchange.call->body_source) return exchange.call->body_source(buffer, capacity);
  const std::string& body = exchange.call->body;
  const size_t n = std::min(capacity, body.size() - exchange.body_offset);
  body.copy(buffer, n, exchange.body_offset);
  exchange.body_offset += n;
  return n;
}

size_t WriteResponseBody(char* data, size_t size, size_t count, void* user) {
  auto& exchange = *static_cast<Exchange*>(user);
  const absl::string_view piece(data, size * count);
  if (exchange.call->body_sink) {
    exchange.call->body_sink(piece);
  } else {
    exchange.response->body.append(piece.data(), piece.size());
  }
  return piece.size();
}

size_t ReadResponseHeader(char* data, size_t size, size_t count, void* user) {
  auto& response = *static_cast<Exchange*>(user)->response;
  absl::string_view line(data, size * count);
  // Each status line, a "100 Continue" one included, starts a new set of headers.
  if (absl::StartsWith(line, "HTTP/")) response.headers.clear();
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    response.headers.emplace_back(
        std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * count;
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::optional<std::string> HttpResponse::Header(absl::string_view name) const {
  for (const auto& [header_name, value] : headers) {
    if (absl::EqualsIgnoreCase(header_name, name)) return value;
  }
  return std::nullopt;
}

HttpClient::HttpClient(std::string base_url, absl::Duration timeout)
    : base_url_(std::move(base_url)), timeout_(timeout) {
  InitCurlOnce();
}

absl::StatusOr<HttpResponse> HttpClient::Perform(const HttpCall& call) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                           &curl_easy_cleanup);
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  HttpResponse response;
  Exchange exchange{&call, &response};
  const std::string url = base_url_ + call.target;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, call.method.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout_)));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &WriteResponseBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &ReadResponseHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &exchange);
  if (call.method == "HEAD") curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
  const bool has_body = call.body_source || !call.body.empty() || call.method == "PUT" ||
                        call.method == "POST";
  if (has_body) {
    curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, &ReadRequestBody);
    curl_easy_setopt(curl.get(), CURLOPT_READDATA, &exchange);
    const std::optional<uint64_t> size =
        call.body_source ? call.body_size : std::optional<uint64_t>(call.body.size());
    curl_easy_setopt(curl.get(), CURLOPT_INFILESIZE_LARGE,
                     size.has_value() ? static_cast<curl_off_t>(*size) : curl_off_t{-1});
  }
  curl_slist* header_list = nullptr;
  for (const auto& [name, value] : call.headers) {
    header_list = curl_slist_append(header_list, absl::StrCat(name, ": ", value).c_str());
  }
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, header_list);
  const CURLcode code = curl_easy_perform(curl.get());
  curl_slist_free_all(header_list);
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(call.method, " ", url, ": ",
                                               curl_easy_strerror(code)));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

absl::StatusOr<HttpResponse> HttpClient::Get(std::string target, HeaderList headers) const {
  HttpCall call;
  call.target = std::move(target);
  call.headers = std::move(headers);
  return Perform(call);
}

absl::StatusOr<HttpResponse> HttpClient::Put(std::string target, std::string body,
                                             HeaderList headers) const {
  HttpCall call;
  call.method = "PUT";
  call.target = std::move(target);
  call.headers = std::move(headers);
  call.body = std::move(body);
  return Perform(call);
}

absl::StatusOr<HttpResponse> HttpClient::Delete(std::string target, HeaderList headers) const {
  HttpCall call;
  call.method = "DELETE";
  call.target = std::move(target);
  call.headers = std::move(headers);
  return Perform(call);
}

}  // namespace objgate::test_support
