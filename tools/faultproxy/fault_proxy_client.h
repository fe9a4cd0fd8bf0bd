#ifndef OBJGATE_TOOLS_FAULTPROXY_FAULT_PROXY_CLIENT_H_
#define OBJGATE_TOOLS_FAULTPROXY_FAULT_PROXY_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/support/http_client.h"
#include "tests/support/subprocess.h"
#include "tools/faultproxy/request_log.h"

namespace objgate::faultproxy {

// Starts //tools/faultproxy:faultproxy on an ephemeral loopback port in front of
// `upstream_url` and returns once it listens; address() is its base URL. Depending on this
// library brings the binary into the test's runfiles.
absl::StatusOr<std::unique_ptr<test_support::Subprocess>> StartFaultProxy(
    const std::string& upstream_url);

// The control API of a running proxy, for tests:
//
//   FaultProxyClient proxy(process->address());
//   ASSERT_TRUE(proxy.AddRules(R"({"path": "/list", "action": "respond", "status": 503})").ok());
//   ... exercise the client under test ...
//   absl::StatusOr<std::vector<LoggedRequest>> seen = proxy.Log("/list");
class FaultProxyClient {
 public:
  explicit FaultProxyClient(std::string base_url);

  // One rule object or an array of them; see ParseFaultRules.
  absl::Status AddRules(absl::string_view json);
  absl::Status ClearRules();

  // The requests seen, in arrival order; only those whose path is `path` unless it is
  // empty. Waits up to `settle` for exchanges in progress to end, so that a test reads the
  // outcome of an exchange its client has just given up on.
  absl::StatusOr<std::vector<LoggedRequest>> Log(absl::string_view path = "",
                                                 absl::Duration settle = absl::Seconds(10));
  absl::Status ClearLog();

 private:
  test_support::HttpClient http_;
};

}  // namespace objgate::faultproxy

#endif  // OBJGATE_TOOLS_FAULTPROXY_FAULT_PROXY_CLIENT_H_
