// faultproxy: an HTTP/1.1 proxy in front of an object store that injects the faults the
// tests script through its control API (see fault_proxy.h).
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "common/command_line.h"
#include "tools/faultproxy/fault_proxy.h"
#include "tools/faultproxy/socket_io.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "HOST:PORT to accept clients and control requests on; port 0 picks a free port, "
          "printed on the ready line.");
ABSL_FLAG(std::string, upstream, "",
          "http://HOST:PORT of the server to relay to, e.g. the reference store. Required.");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(5),
          "longest wait for a connection to the upstream; after it the client gets 502.");
ABSL_FLAG(absl::Duration, upstream_io_timeout, absl::Seconds(60),
          "longest silence of the upstream inside an exchange before the proxy gives up on it "
          "and the client gets 502 or a broken body.");

int main(int argc, char** argv) {
  objgate::ParseProgramCommandLine(
      argc, argv, "tools/faultproxy/faultproxy_main.cc", "FAULTPROXY_",
      "faultproxy: a scriptable fault-injecting HTTP/1.1 proxy for cross-process tests.\n"
      "Usage: faultproxy --upstream=http://HOST:PORT [--listen=HOST:PORT]\n"
      "Prints \"faultproxy listening on http://HOST:PORT\" once ready. Rules are added with\n"
      "POST /__faults/rules and the requests seen are read with GET /__faults/log.\n");

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  objgate::faultproxy::FaultProxyOptions options;
  absl::StatusOr<objgate::faultproxy::Endpoint> listen =
      objgate::faultproxy::ParseHostPort(absl::GetFlag(FLAGS_listen));
  absl::StatusOr<objgate::faultproxy::Endpoint> upstream =
      objgate::faultproxy::ParseHttpUrl(absl::GetFlag(FLAGS_upstream));
  for (const absl::Status& status : {listen.status(), upstream.status()}) {
    if (!status.ok()) {
      std::fprintf(stderr, "faultproxy: %s\n", std::string(status.message()).c_str());
      return 2;
    }
  }
  options.listen = *listen;
  options.upstream = *upstream;
  options.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  options.upstream_io_timeout = absl::GetFlag(FLAGS_upstream_io_timeout);

  absl::StatusOr<std::unique_ptr<objgate::faultproxy::FaultProxy>> proxy =
      objgate::faultproxy::FaultProxy::Start(options);
  if (!proxy.ok()) {
    std::fprintf(stderr, "faultproxy: %s\n", proxy.status().ToString().c_str());
    return 1;
  }
  // Tests wait for this line and read the address from it.
  std::printf("faultproxy listening on http://%s\n",
              objgate::faultproxy::FormatHostPort((*proxy)->endpoint()).c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*proxy)->Stop();
  return 0;
}
