#include "tests/gateway/gateway_harness.h"

#include "tests/support/refstore_process.h"

#include "grpc/health/v1/health.grpc.pb.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "tests/support/http_client.h"

namespace objgate::test_support {

namespace v1 = ::storage::v1;

absl::StatusOr<std::unique_ptr<GatewayHarness>> GatewayHarness::Start(
    GatewayHarnessOptions options) {
  std::unique_ptr<GatewayHarness> harness(new GatewayHarness());
  harness->dialect_ = options.dialect;
  if (options.dialect == Dialect::kS3) {
    absl::StatusOr<LocalS3> s3 = FindLocalS3();
    if (!s3.ok()) return s3.status();
    harness->s3_ = *std::move(s3);
    // A bucket of the harness's own, as fresh as the reference store's data directory:
    // the local S3 outlives the test runs.
    absl::StatusOr<std::unique_ptr<S3TestClient>> client = S3TestClient::Create(harness->s3_);
    if (!client.ok()) return client.status();
    harness->s3_client_ = *std::move(client);
    static std::atomic<int> buckets{0};
    harness->s3_.bucket = absl::StrCat("test-", getpid(), "-", buckets++, "-",
                                       absl::ToUnixMicros(absl::Now()) % 1000000);
    if (absl::Status created = harness->s3_client_->CreateBucket(harness->s3_.bucket);
        !created.ok()) {
      return created;
    }
    harness->upstream_url_ = harness->s3_.endpoint;
    if (!options.s3_endpoint_host.empty()) {
      absl::StrReplaceAll({{"127.0.0.1", options.s3_endpoint_host}}, &harness->upstream_url_);
    }
  } else if (options.upstream_url) {
    harness->upstream_url_ = *options.upstream_url;
  } else {
    absl::StatusOr<std::unique_ptr<Subprocess>> started =
        StartRefstore(harness->data_dir_.path(), options.refstore_args);
    if (!started.ok()) return started.status();
    harness->refstore_ = *std::move(started);
    harness->upstream_url_ = harness->refstore_->address();
  }
  if (options.fault_proxy) {
    absl::StatusOr<std::unique_ptr<Subprocess>> proxy =
        faultproxy::StartFaultProxy(harness->upstream_url_);
    if (!proxy.ok()) return proxy.status();
    harness->fault_proxy_process_ = *std::move(proxy);
    harness->upstream_url_ = harness->fault_proxy_process_->address();
    harness->fault_proxy_ = std::make_unique<faultproxy::FaultProxyClient>(harness->upstream_url_);
  }

  SubprocessOptions gateway;
  gateway.binary = "server/gateway";
  gateway.args = {"--listen=127.0.0.1:0", "--upstream=" + harness->upstream_url_,
                  // Real processes wait in real time; keep retries quick. The schedule
                  // itself is pinned by the unit tests with fake time.
                  "--base_delay=20ms", "--max_delay=200ms", "--health_check_interval=200ms",
                  "--access_log=false"};
  if (options.metrics) gateway.args.push_back("--metrics_listen=127.0.0.1:0");
  if (options.dialect == Dialect::kS3) {
    gateway.args.insert(gateway.args.end(),
                        {"--upstream_dialect=s3", "--s3_bucket=" + harness->s3_.bucket,
                         "--s3_region=" + harness->s3_.region});
    gateway.env = {{"AWS_ACCESS_KEY_ID", harness->s3_.credentials.access_key_id},
                   {"AWS_SECRET_ACCESS_KEY", harness->s3_.credentials.secret_access_key}};
  }
  for (const auto& [name, value] : options.gateway_env) {
    auto same = std::find_if(gateway.env.begin(), gateway.env.end(),
                             [&](const auto& entry) { return entry.first == name; });
    if (same != gateway.env.end()) {
      same->second = value;
    } else {
      gateway.env.emplace_back(name, value);
    }
  }
  gateway.args.insert(gateway.args.end(), options.gateway_args.begin(),
                      options.gateway_args.end());
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(gateway);
  if (!started.ok()) return started.status();
  harness->gateway_ = *std::move(started);
  if (options.metrics) {
    // "... listening on HOST:PORT (upstream URL, metrics http://HOST:PORT)"
    std::smatch match;
    const std::string& line = harness->gateway_->ready_line();
    if (!std::regex_search(line, match, std::regex(R"(, metrics (http://[^)\s]+)\))"))) {
      return absl::InternalError(absl::StrCat("no metrics URL in \"", line, "\""));
    }
    harness->metrics_url_ = match[1];
  }

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  harness->channel_ = grpc::CreateCustomChannel(harness->gateway_->address(),
                                                grpc::InsecureChannelCredentials(), args);
  harness->stub_ = v1::ObjectStorage::NewStub(harness->channel_);
  return harness;
}

GatewayHarness::~GatewayHarness() {
  gateway_.reset();
  // Objects of the local S3 live in its memory.
  if (s3_client_ != nullptr) s3_client_->DeleteBucket(s3_.bucket).IgnoreError();
}

absl::StatusOr<std::string> GatewayHarness::ScrapeMetrics() const {
  absl::StatusOr<HttpResponse> response = HttpClient(metrics_url_).Get("/metrics");
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::InternalError(absl::StrCat("GET /metrics answered ", response->status));
  }
  return response->body;
}

GatewayHarness* SharedGatewayTest::harness_ = nullptr;

void SharedGatewayTest::SetUpTestSuite() {
  absl::StatusOr<std::unique_ptr<GatewayHarness>> started = GatewayHarness::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  harness_ = started->release();
}

void SharedGatewayTest::TearDownTestSuite() {
  delete harness_;
  harness_ = nullptr;
}

std::string SharedGatewayTest::TestTenant(absl::string_view prefix) {
  return absl::StrCat(prefix, ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

std::string DialectName(Dialect dialect) { return dialect == Dialect::kS3 ? "s3" : "rest"; }

std::string DialectTestName(const ::testing::TestParamInfo<Dialect>& info) {
  return DialectName(info.param);
}

std::map<Dialect, GatewayHarness*> DialectGatewayTest::harnesses_;
std::vector<std::string> DialectGatewayTest::gateway_args_;

void DialectGatewayTest::SetUp() {
  if (GetParam() == Dialect::kS3) {
    OBJGATE_NEED_LOCAL_S3(s3);
  }
  if (harnesses_.count(GetParam()) == 0) {
    GatewayHarnessOptions options;
    options.dialect = GetParam();
    options.gateway_args = gateway_args_;
    absl::StatusOr<std::unique_ptr<GatewayHarness>> started = GatewayHarness::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    harnesses_[GetParam()] = started->release();
  }
}

void DialectGatewayTest::TearDownTestSuite() {
  for (auto& [dialect, harness] : harnesses_) delete harness;
  harnesses_.clear();
}

std::string DialectGatewayTest::TestTenant(absl::string_view prefix) {
  // "Name/s3" names the test of each dialect; a tenant id has no '/'.
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(name.begin(), name.end(), '/', '-');
  return absl::StrCat(prefix, name);
}

bool WaitUntilServing(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("storage.v1.ObjectStorage");
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  auto watch = health->Watch(&context, request);
  bool serving = false;
  while (!serving && watch->Read(&response)) {
    serving = response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }
  context.TryCancel();
  watch->Finish();
  return serving;
}

}  // namespace objgate::test_support
