#ifndef OBJGATE_TESTS_GATEWAY_GATEWAY_HARNESS_H_
#define OBJGATE_TESTS_GATEWAY_GATEWAY_HARNESS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "storage/v1/storage.grpc.pb.h"
#include "tests/support/storage_calls.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tools/faultproxy/fault_proxy_client.h"

namespace objgate::test_support {

struct GatewayHarnessOptions {
  // Extra flags for the reference store and the gateway.
  std::vector<std::string> refstore_args;
  std::vector<std::string> gateway_args;
  // When set, the gateway fronts this URL and no reference store is started.
  std::optional<std::string> upstream_url;
  // Puts a fault proxy (//tools/faultproxy) between the gateway and its upstream, for
  // tests that script upstream failures.
  bool fault_proxy = false;
  // Serves the gateway's Prometheus metrics on an ephemeral port; see ScrapeMetrics.
  bool metrics = false;
};

// A reference store and a gateway in front of it, optionally with a fault proxy between
// them, all real processes on ephemeral loopback ports, and a channel to the gateway. The
// processes are killed when the harness goes, whatever the test's outcome.
class GatewayHarness {
 public:
  static absl::StatusOr<std::unique_ptr<GatewayHarness>> Start(
      GatewayHarnessOptions options = {});

  storage::v1::ObjectStorage::Stub& stub() { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // "http://127.0.0.1:PORT" of the upstream the gateway talks to (the fault proxy's when
  // there is one).
  const std::string& upstream_url() const { return upstream_url_; }
  Subprocess& gateway() { return *gateway_; }
  // Null when the harness fronts a given upstream.
  Subprocess* refstore() { return refstore_.get(); }
  // The reference store's data directory (unused when the harness fronts a given upstream).
  const std::string& refstore_data_dir() const { return data_dir_.path(); }
  // Null without GatewayHarnessOptions::fault_proxy.
  Subprocess* fault_proxy_process() { return fault_proxy_process_.get(); }
  faultproxy::FaultProxyClient* fault_proxy() { return fault_proxy_.get(); }
  // "http://127.0.0.1:PORT" of the gateway's metrics; empty without
  // GatewayHarnessOptions::metrics.
  const std::string& metrics_url() const { return metrics_url_; }
  // The body of GET /metrics.
  absl::StatusOr<std::string> ScrapeMetrics() const;

 private:
  GatewayHarness() = default;

  TempDir data_dir_;
  std::unique_ptr<Subprocess> refstore_;
  std::unique_ptr<Subprocess> fault_proxy_process_;
  std::unique_ptr<faultproxy::FaultProxyClient> fault_proxy_;
  std::unique_ptr<Subprocess> gateway_;
  std::string upstream_url_;
  std::string metrics_url_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<storage::v1::ObjectStorage::Stub> stub_;
};

// One harness shared by every test of a suite: the processes start once per suite.
//
//   class MySuite : public SharedGatewayTest {};
//   TEST_F(MySuite, Works) { Upload(harness().stub(), ...); }
class SharedGatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  static GatewayHarness& harness() { return *harness_; }
  // A tenant named after the running test, so that tests never see each other's objects.
  static std::string TestTenant(absl::string_view prefix = "t-");

 private:
  static GatewayHarness* harness_;
};

// Waits, watching grpc.health.v1.Health, until the gateway says SERVING; false if it has
// not within `timeout`.
bool WaitUntilServing(const std::shared_ptr<grpc::Channel>& channel,
                      absl::Duration timeout = absl::Seconds(30));

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_GATEWAY_GATEWAY_HARNESS_H_
