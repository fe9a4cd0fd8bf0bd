#include "tools/faultproxy/fault_proxy_client.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace objgate::faultproxy {
namespace {

absl::Status ExpectOk(const absl::StatusOr<test_support::HttpResponse>& response,
                      absl::string_view what) {
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::InternalError(absl::StrCat("fault proxy refused to ", what, ": HTTP ",
                                            response->status, " ", response->body));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<test_support::Subprocess>> StartFaultProxy(
    const std::string& upstream_url) {
  test_support::SubprocessOptions options;
  options.binary = "tools/faultproxy/faultproxy";
  options.args = {"--listen=127.0.0.1:0", "--upstream=" + upstream_url};
  options.ready_pattern = R"(^faultproxy listening on (http://\S+)$)";
  return test_support::Subprocess::Start(options);
}

FaultProxyClient::FaultProxyClient(std::string base_url)
    : http_(std::move(base_url), absl::Minutes(1)) {}

absl::Status FaultProxyClient::AddRules(absl::string_view json) {
  test_support::HttpCall call;
  call.method = "POST";
  call.target = "/__faults/rules";
  call.headers = {{"Content-Type", "application/json"}};
  call.body = std::string(json);
  return ExpectOk(http_.Perform(call), "add rules");
}

absl::Status FaultProxyClient::ClearRules() {
  return ExpectOk(http_.Delete("/__faults/rules"), "clear rules");
}

absl::StatusOr<std::vector<LoggedRequest>> FaultProxyClient::Log(absl::string_view path,
                                                                 absl::Duration settle) {
  absl::StatusOr<test_support::HttpResponse> response =
      http_.Get(absl::StrCat("/__faults/log?settle_ms=", absl::ToInt64Milliseconds(settle)));
  if (absl::Status ok = ExpectOk(response, "return its log"); !ok.ok()) return ok;
  absl::StatusOr<std::vector<LoggedRequest>> requests = ParseRequestLog(response->body);
  if (!requests.ok() || path.empty()) return requests;
  std::vector<LoggedRequest> matching;
  for (LoggedRequest& request : *requests) {
    if (request.path() == path) matching.push_back(std::move(request));
  }
  return matching;
}

absl::Status FaultProxyClient::ClearLog() {
  return ExpectOk(http_.Delete("/__faults/log"), "clear its log");
}

}  // namespace objgate::faultproxy
