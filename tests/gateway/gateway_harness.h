#ifndef OBJGATE_TESTS_GATEWAY_GATEWAY_HARNESS_H_
#define OBJGATE_TESTS_GATEWAY_GATEWAY_HARNESS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "storage/v1/storage.grpc.pb.h"
#include "tests/support/local_s3.h"
#include "tests/support/storage_calls.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tools/faultproxy/fault_proxy_client.h"

namespace objgate::test_support {

// The upstream the gateway fronts: the reference store (REST), or the local Ceph RGW
// (S3, see tests/support/local_s3.h).
enum class Dialect { kRest, kS3 };

// "rest" or "s3", for test names.
std::string DialectName(Dialect dialect);

struct GatewayHarnessOptions {
  Dialect dialect = Dialect::kRest;
  // Extra flags for the reference store and the gateway.
  std::vector<std::string> refstore_args;
  std::vector<std::string> gateway_args;
  // When set, the gateway fronts this URL and no reference store is started (REST only).
  std::optional<std::string> upstream_url;
  // Puts a fault proxy (//tools/faultproxy) between the gateway and its upstream, for
  // tests that script upstream failures.
  bool fault_proxy = false;
  // Serves the gateway's Prometheus metrics on an ephemeral port; see ScrapeMetrics.
  bool metrics = false;
  // Set in the gateway's environment after the harness's own (the S3 credentials), so
  // they can replace them.
  std::vector<std::pair<std::string, std::string>> gateway_env;
  // S3 only: the host to reach the local S3 by, instead of its address ("localhost", for
  // virtual-host addressing).
  std::string s3_endpoint_host;
};

// A reference store and a gateway in front of it, optionally with a fault proxy between
// them, all real processes on ephemeral loopback ports, and a channel to the gateway. The
// processes are killed when the harness goes, whatever the test's outcome.
class GatewayHarness {
 public:
  static absl::StatusOr<std::unique_ptr<GatewayHarness>> Start(
      GatewayHarnessOptions options = {});

  ~GatewayHarness();

  storage::v1::ObjectStorage::Stub& stub() { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // "http://127.0.0.1:PORT" of the upstream the gateway talks to (the fault proxy's when
  // there is one).
  const std::string& upstream_url() const { return upstream_url_; }
  Dialect dialect() const { return dialect_; }
  // The local S3 behind the gateway, with the bucket the harness made for it and deletes
  // when it goes; only with Dialect::kS3.
  const LocalS3& s3() const { return s3_; }
  S3TestClient& s3_client() { return *s3_client_; }
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

  Dialect dialect_ = Dialect::kRest;
  LocalS3 s3_;
  std::unique_ptr<S3TestClient> s3_client_;
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

// Like SharedGatewayTest, once per dialect: the suite's tests run against the reference
// store and against the local S3, with one harness for each, started by the first test
// that needs it. Without a local S3 the S3 instances skip (or fail, see LocalS3Required).
//
//   class MySuite : public DialectGatewayTest {};
//   TEST_P(MySuite, Works) { Upload(harness().stub(), ...); }
//   INSTANTIATE_TEST_SUITE_P(Dialects, MySuite, kBothDialects, DialectTestName);
class DialectGatewayTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override;
  static void TearDownTestSuite();
  static GatewayHarness& harness() { return *harnesses_[GetParam()]; }
  static std::string TestTenant(absl::string_view prefix = "t-");
  // Extra gateway flags for the harnesses of this suite; call from SetUpTestSuite.
  static void SetGatewayArgs(std::vector<std::string> args) { gateway_args_ = std::move(args); }

 private:
  static std::map<Dialect, GatewayHarness*> harnesses_;
  static std::vector<std::string> gateway_args_;
};

inline const auto kBothDialects = ::testing::Values(Dialect::kRest, Dialect::kS3);
std::string DialectTestName(const ::testing::TestParamInfo<Dialect>& info);

// Waits, watching grpc.health.v1.Health, until the gateway says SERVING; false if it has
// not within `timeout`.
bool WaitUntilServing(const std::shared_ptr<grpc::Channel>& channel,
                      absl::Duration timeout = absl::Seconds(30));

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_GATEWAY_GATEWAY_HARNESS_H_
