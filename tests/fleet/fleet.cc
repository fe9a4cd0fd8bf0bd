#include "tests/fleet/fleet.h"

#include <signal.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "tests/support/http_client.h"
#include "tests/support/ports.h"

namespace objgate::test_support {
namespace {

constexpr char kNginx[] = "/usr/sbin/nginx";
constexpr char kHaproxy[] = "/usr/sbin/haproxy";
constexpr char kNginxConfig[] = "tools/fleet/nginx.conf";
constexpr char kHaproxyConfig[] = "tools/fleet/haproxy.cfg";

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Replaces the one occurrence of `from` in `text`; an error if there is not exactly one,
// so a config edited out of step with the fleet fails loudly.
absl::Status ReplaceOnce(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(kNginxConfig, " must hold \"", from, "\" exactly once"));
  }
  text.replace(at, from.size(), to);
  return absl::OkStatus();
}

}  // namespace

std::string BalancerName(Balancer balancer) {
  return balancer == Balancer::kNginx ? "nginx" : "haproxy";
}

absl::StatusOr<std::unique_ptr<Fleet>> Fleet::Start(FleetOptions options) {
  std::unique_ptr<Fleet> fleet(new Fleet(std::move(options)));
  fleet->gateways_.resize(fleet->options_.gateways);
  for (int i = 0; i < fleet->size(); ++i) {
    fleet->gateways_[i].port = FreeLoopbackPort();
    fleet->gateways_[i].address = absl::StrCat("127.0.0.1:", fleet->gateways_[i].port);
    if (absl::Status started = fleet->StartGateway(i); !started.ok()) return started;
  }
  if (absl::Status started = fleet->StartBalancer(); !started.ok()) return started;
  return fleet;
}

Fleet::~Fleet() {
  // The balancer first, so that nothing is sent to gateways on their way out. nginx's
  // master stops its workers on SIGTERM; a SIGKILL would leave them behind.
  if (balancer_ != nullptr) (void)balancer_->Stop(SIGTERM);
  for (Gateway& gateway : gateways_) {
    if (gateway.process != nullptr) (void)gateway.process->Stop(SIGKILL);
  }
}

absl::Status Fleet::StartGateway(int i) {
  Gateway& gateway = gateways_[i];
  SubprocessOptions process;
  process.binary = "server/gateway";
  process.args = {absl::StrCat("--listen=", gateway.address), "--metrics_listen=127.0.0.1:0",
                  absl::StrCat("--drain_delay=", absl::FormatDuration(options_.drain_delay)),
                  absl::StrCat("--grace_period=", absl::FormatDuration(options_.grace_period)),
                  "--health_check_interval=500ms",
                  // Thousands of calls: the test's log keeps only what went wrong.
                  "--log_level=warning"};
  // As tools/fleet/haproxy.cfg asks, one call per connection from HAProxy.
  if (options_.balancer == Balancer::kHaproxy) process.args.push_back("--max_concurrent_streams=1");
  process.args.insert(process.args.end(), options_.gateway_args.begin(),
                      options_.gateway_args.end());
  process.env = options_.gateway_env;
  process.ready_pattern = R"(listening on (\S+) .*metrics (http://[0-9.:]+))";
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(process);
  if (!started.ok()) return started.status();
  gateway.process = *std::move(started);
  const std::string& line = gateway.process->ready_line();
  const std::string kMetrics = "metrics ";
  gateway.metrics_url =
      std::string(absl::StripSuffix(line.substr(line.rfind(kMetrics) + kMetrics.size()), ")"));
  return absl::OkStatus();
}

absl::Status Fleet::StartBalancer() {
  const int port = FreeLoopbackPort();
  target_ = absl::StrCat("127.0.0.1:", port);
  SubprocessOptions process;
  if (options_.balancer == Balancer::kHaproxy) {
    // The file as it is; it takes its addresses from the environment.
    process.binary = kHaproxy;
    process.args = {"-db", "-f", RunfilePath(kHaproxyConfig)};
    process.env = {{"OBJGATE_LISTEN", target_}};
    for (int i = 0; i < size(); ++i) {
      process.env.emplace_back(absl::StrCat("OBJGATE_GATEWAY_", i + 1), gateways_[i].address);
    }
    // HAProxy prints nothing once it listens.
    process.ready_port = port;
  } else {
    // nginx reads no environment: the file's example addresses become the fleet's.
    absl::StatusOr<std::string> config = ReadFile(RunfilePath(kNginxConfig));
    if (!config.ok()) return config.status();
    if (absl::Status replaced =
            ReplaceOnce(*config, "listen 127.0.0.1:50051 ", absl::StrCat("listen ", target_, " "));
        !replaced.ok()) {
      return replaced;
    }
    for (int i = 0; i < size(); ++i) {
      if (absl::Status replaced = ReplaceOnce(*config, absl::StrCat("127.0.0.1:", 50061 + i, " "),
                                              absl::StrCat(gateways_[i].address, " "));
          !replaced.ok()) {
        return replaced;
      }
    }
    std::ofstream(dir_.Sub("nginx.conf")) << *config;
    process.binary = kNginx;
    process.args = {
        "-p", dir_.path(),   "-c", dir_.Sub("nginx.conf"),
        "-e", "/dev/stderr", "-g", "daemon off; pid nginx.pid; error_log /dev/stdout notice;"};
    // nginx says nothing once it serves; its workers start after the socket is bound.
    process.ready_pattern = "start worker process";
  }
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(process);
  if (!started.ok()) return started.status();
  balancer_ = *std::move(started);
  return absl::OkStatus();
}

absl::Status Fleet::Terminate(int i) {
  if (gateways_[i].process == nullptr) return absl::FailedPreconditionError("not running");
  if (kill(gateways_[i].process->pid(), SIGTERM) != 0) {
    return absl::InternalError("kill(SIGTERM) failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Fleet::WaitForExit(int i, absl::Duration timeout) {
  if (gateways_[i].process == nullptr) return absl::FailedPreconditionError("not running");
  // The signal was sent already; SIGTERM again would end the drain early.
  absl::StatusOr<int> status = gateways_[i].process->Stop(0, timeout);
  if (status.ok()) gateways_[i].process.reset();
  return status;
}

absl::Status Fleet::Kill(int i) {
  if (gateways_[i].process == nullptr) return absl::FailedPreconditionError("not running");
  absl::StatusOr<int> status = gateways_[i].process->Stop(SIGKILL, absl::Seconds(10));
  if (!status.ok()) return status.status();
  gateways_[i].process.reset();
  return absl::OkStatus();
}

absl::Status Fleet::Restart(int i) {
  if (gateways_[i].process != nullptr) return absl::FailedPreconditionError("still running");
  return StartGateway(i);
}

absl::StatusOr<CallCounts> Fleet::Calls(int i) const {
  if (gateways_[i].process == nullptr) return absl::FailedPreconditionError("not running");
  absl::StatusOr<HttpResponse> response =
      HttpClient(gateways_[i].metrics_url, absl::Seconds(5)).Get("/metrics");
  if (!response.ok()) return response.status();
  CallCounts counts;
  for (absl::string_view line : absl::StrSplit(response->body, '\n')) {
    const bool ended = absl::StartsWith(line, "objgate_calls_total{");
    const bool in_flight = absl::StartsWith(line, "objgate_calls_in_flight{");
    if (!ended && !in_flight) continue;
    double value = 0;
    if (!absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) continue;
    counts.started += value;
    if (in_flight) counts.in_flight += value;
  }
  return counts;
}

}  // namespace objgate::test_support
