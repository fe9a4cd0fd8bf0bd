// The gateway's Prometheus metrics, scraped from the real binary after a known workload:
// every counter must match what the workload did, exactly.
#include <map>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/http_client.h"
#include "tools/faultproxy/fault_proxy_client.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::testing::AllOf;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Le;
using ::testing::StartsWith;

constexpr char kTenant[] = "metrics-tenant";
constexpr size_t kObjectBytes = 100000;
constexpr int kPoolSize = 4;

// Each sample of a scrape, by its name and labels as written: `objgate_x{a="b"}`.
std::map<std::string, double> ParseSamples(absl::string_view text) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(space + 1), &value)) << line;
    samples[std::string(line.substr(0, space))] = value;
  }
  return samples;
}

TEST(GatewayMetricsTest, ScrapeAfterKnownWorkloadCountsItExactly) {
  GatewayHarnessOptions options;
  options.metrics = true;
  options.fault_proxy = true;
  // One readiness probe only, at startup, so the upstream counts are the workload's.
  options.gateway_args = {"--health_check_interval=1h", "--pool_size=" + std::to_string(kPoolSize)};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> started = GatewayHarness::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  GatewayHarness& harness = **started;
  ASSERT_THAT(harness.metrics_url(), StartsWith("http://127.0.0.1:"));
  // The first readiness probe's request is counted before the workload starts.
  ASSERT_TRUE(WaitUntilServing(harness.channel()));
  const std::string data(kObjectBytes, 'm');

  for (const char* key : {"a", "b", "c"}) {
    ASSERT_TRUE(Upload(harness.stub(), kTenant, key, data).status.ok()) << key;
  }
  for (const char* key : {"a", "b"}) {
    DownloadOutcome down = Download(harness.stub(), kTenant, key);
    ASSERT_TRUE(down.status.ok()) << down.status.error_message();
    ASSERT_EQ(down.data.size(), kObjectBytes);
  }
  EXPECT_EQ(Download(harness.stub(), kTenant, "missing").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(List(harness.stub(), kTenant, v1::ListRequest()).status.ok());
  ASSERT_TRUE(harness.fault_proxy()
                  ->AddRules(R"({"method": "GET", "path": "/download", "times": 1,
                                 "action": "respond", "status": 503})")
                  .ok());
  DownloadOutcome retried = Download(harness.stub(), kTenant, "c");
  ASSERT_TRUE(retried.status.ok()) << retried.status.error_message();

  absl::StatusOr<std::string> scrape = harness.ScrapeMetrics();
  ASSERT_TRUE(scrape.ok()) << scrape.status();
  const std::map<std::string, double> samples = ParseSamples(*scrape);
  auto sample = [&samples](const std::string& series) {
    auto it = samples.find(series);
    EXPECT_NE(it, samples.end()) << "no sample " << series;
    return it == samples.end() ? -1 : it->second;
  };

  EXPECT_THAT(*scrape, HasSubstr("# TYPE objgate_calls_total counter\n"));
  EXPECT_EQ(sample(R"(objgate_calls_total{method="Upload",code="OK"})"), 3);
  EXPECT_EQ(sample(R"(objgate_calls_total{method="Download",code="OK"})"), 3);
  EXPECT_EQ(sample(R"(objgate_calls_total{method="Download",code="NOT_FOUND"})"), 1);
  EXPECT_EQ(sample(R"(objgate_calls_total{method="List",code="OK"})"), 1);
  EXPECT_EQ(sample(R"(objgate_call_duration_seconds_count{method="Upload"})"), 3);
  EXPECT_EQ(sample(R"(objgate_call_duration_seconds_count{method="Download"})"), 4);
  EXPECT_EQ(sample(R"(objgate_call_duration_seconds_bucket{method="Download",le="+Inf"})"), 4);
  EXPECT_EQ(sample("objgate_bytes_received_total"), 3 * kObjectBytes);
  EXPECT_EQ(sample("objgate_bytes_sent_total"), 3 * kObjectBytes);
  EXPECT_EQ(sample("objgate_retries_total"), 1);
  EXPECT_EQ(sample("objgate_resumed_downloads_total"), 0);
  // The readiness probe, the store's capabilities (asked once, before the first upload),
  // two downloads, the list, and the retried download's second try.
  EXPECT_EQ(sample(R"(objgate_upstream_requests_total{method="GET",status="200"})"), 6);
  EXPECT_EQ(sample(R"(objgate_upstream_requests_total{method="GET",status="404"})"), 1);
  EXPECT_EQ(sample(R"(objgate_upstream_requests_total{method="GET",status="503"})"), 1);
  EXPECT_EQ(sample(R"(objgate_upstream_requests_total{method="PUT",status="200"})"), 3);
  EXPECT_EQ(sample(R"(objgate_upstream_request_duration_seconds_count{method="GET"})"), 8);
  EXPECT_THAT(sample("objgate_upstream_connections_opened_total"), AllOf(Ge(1), Le(kPoolSize)));
  EXPECT_EQ(sample(R"(objgate_upstream_connections{state="in_use"})"), 0);
  EXPECT_THAT(sample(R"(objgate_upstream_connections{state="idle"})"), AllOf(Ge(1), Le(kPoolSize)));
  for (const char* method : {"Upload", "Download", "List"}) {
    EXPECT_EQ(sample(absl::StrCat(R"(objgate_calls_in_flight{method=")", method, R"("})")), 0)
        << method;
  }
}

TEST(GatewayMetricsTest, OtherPathsAreNotFound) {
  GatewayHarnessOptions options;
  options.metrics = true;
  absl::StatusOr<std::unique_ptr<GatewayHarness>> started = GatewayHarness::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();

  absl::StatusOr<HttpResponse> response = HttpClient((*started)->metrics_url()).Get("/");

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 404);
}

}  // namespace
}  // namespace objgate::test_support
