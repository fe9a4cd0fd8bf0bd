#ifndef OBJGATE_TESTS_FLEET_FLEET_H_
#define OBJGATE_TESTS_FLEET_FLEET_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace objgate::test_support {

// The load balancers the fleet runs behind, each started from its configuration file in
// tools/fleet, the one the README shows.
enum class Balancer { kNginx, kHaproxy };
std::string BalancerName(Balancer balancer);

struct FleetOptions {
  Balancer balancer = Balancer::kHaproxy;
  int gateways = 3;
  // Every gateway's arguments beyond its listen and metrics addresses and its drain
  // timing: the upstream and dialect.
  std::vector<std::string> gateway_args;
  std::vector<std::pair<std::string, std::string>> gateway_env;
  // On SIGTERM a gateway goes on serving for this long while reporting NOT_SERVING.
  absl::Duration drain_delay = absl::Seconds(6);
  absl::Duration grace_period = absl::Seconds(30);
};

// What a gateway's metrics say of its calls, over all methods.
struct CallCounts {
  double started = 0;  // ended + in flight
  double in_flight = 0;
};

// Gateways on fixed loopback ports of one upstream, behind a real load balancer:
//
//   FleetOptions options;
//   options.gateway_args = {"--upstream=" + store_url};
//   absl::StatusOr<std::unique_ptr<Fleet>> fleet = Fleet::Start(options);
//   ... callers use (*fleet)->target() ...
//   (*fleet)->Terminate(0);   // SIGTERM: drains, then exits
//
// Every process is stopped when the fleet goes. Start, Kill and Restart belong to one
// thread (a child dies with the thread that started it).
class Fleet {
 public:
  static absl::StatusOr<std::unique_ptr<Fleet>> Start(FleetOptions options);
  ~Fleet();

  // "127.0.0.1:PORT" of the balancer.
  const std::string& target() const { return target_; }
  int size() const { return static_cast<int>(gateways_.size()); }
  const std::string& gateway_address(int i) const { return gateways_[i].address; }
  bool running(int i) const { return gateways_[i].process != nullptr; }

  // SIGTERM to gateway `i`; returns at once. WaitForExit then reaps it.
  absl::Status Terminate(int i);
  // The gateway's wait status once it has exited, within `timeout`.
  absl::StatusOr<int> WaitForExit(int i, absl::Duration timeout);
  // SIGKILL to gateway `i`, reaped.
  absl::Status Kill(int i);
  // Starts gateway `i` again on its port.
  absl::Status Restart(int i);

  // From gateway `i`'s metrics endpoint.
  absl::StatusOr<CallCounts> Calls(int i) const;

 private:
  struct Gateway {
    int port = 0;
    std::string address;
    std::string metrics_url;
    std::unique_ptr<Subprocess> process;
  };

  explicit Fleet(FleetOptions options) : options_(std::move(options)) {}
  absl::Status StartGateway(int i);
  absl::Status StartBalancer();

  const FleetOptions options_;
  TempDir dir_;
  std::vector<Gateway> gateways_;
  std::string target_;
  std::unique_ptr<Subprocess> balancer_;
};

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_FLEET_FLEET_H_
