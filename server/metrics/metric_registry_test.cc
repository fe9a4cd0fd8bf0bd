#include "server/metrics/metric_registry.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricRegistryTest, RendersEveryKindInTheTextFormat) {
  MetricRegistry registry;
  Family<Counter>& calls =
      registry.AddCounter("app_calls_total", "Calls handled.", {"method", "code"});
  Family<Gauge>& in_flight = registry.AddGauge("app_in_flight", "Calls running.");
  Family<Histogram>& latency =
      registry.AddHistogram("app_latency_seconds", "Call latency.", {"method"}, {0.1, 1});
  registry.AddCollector([](ExpositionWriter& out) {
    out.Family("app_pool_connections", "Open connections.", "gauge");
    out.Sample("app_pool_connections", {{"state", "idle"}}, 2);
  });

  calls.WithLabels({"Upload", "OK"}).Increment();
  calls.WithLabels({"Upload", "OK"}).Increment(2);
  calls.WithLabels({"Download", "NOT_FOUND"}).Increment();
  in_flight.WithLabels({}).Add(5);
  in_flight.WithLabels({}).Add(-2);
  latency.WithLabels({"Upload"}).Observe(0.05);
  latency.WithLabels({"Upload"}).Observe(0.1);
  latency.WithLabels({"Upload"}).Observe(0.5);
  latency.WithLabels({"Upload"}).Observe(7);

  EXPECT_EQ(registry.Render(),
            "# HELP app_calls_total Calls handled.\n"
            "# TYPE app_calls_total counter\n"
            "app_calls_total{method=\"Download\",code=\"NOT_FOUND\"} 1\n"
            "app_calls_total{method=\"Upload\",code=\"OK\"} 3\n"
            "# HELP app_in_flight Calls running.\n"
            "# TYPE app_in_flight gauge\n"
            "app_in_flight 3\n"
            "# HELP app_latency_seconds Call latency.\n"
            "# TYPE app_latency_seconds histogram\n"
            "app_latency_seconds_bucket{method=\"Upload\",le=\"0.1\"} 2\n"
            "app_latency_seconds_bucket{method=\"Upload\",le=\"1\"} 3\n"
            "app_latency_seconds_bucket{method=\"Upload\",le=\"+Inf\"} 4\n"
            "app_latency_seconds_sum{method=\"Upload\"} 7.65\n"
            "app_latency_seconds_count{method=\"Upload\"} 4\n"
            "# HELP app_pool_connections Open connections.\n"
            "# TYPE app_pool_connections gauge\n"
            "app_pool_connections{state=\"idle\"} 2\n");
}

TEST(MetricRegistryTest, FamilyWithoutSeriesRendersOnlyItsHeader) {
  MetricRegistry registry;
  registry.AddCounter("app_errors_total", "Errors.", {"code"});

  EXPECT_EQ(registry.Render(),
            "# HELP app_errors_total Errors.\n"
            "# TYPE app_errors_total counter\n");
}

TEST(MetricRegistryTest, SameLabelsGiveTheSameSeries) {
  MetricRegistry registry;
  Family<Counter>& calls = registry.AddCounter("app_calls_total", "Calls.", {"method"});

  EXPECT_EQ(&calls.WithLabels({"Upload"}), &calls.WithLabels({"Upload"}));
  EXPECT_NE(&calls.WithLabels({"Upload"}), &calls.WithLabels({"Download"}));
}

TEST(MetricRegistryTest, ConcurrentUpdatesAndNewSeriesLoseNothing) {
  MetricRegistry registry;
  Family<Counter>& calls = registry.AddCounter("app_calls_total", "Calls.", {"method"});
  Family<Histogram>& latency =
      registry.AddHistogram("app_latency_seconds", "Latency.", {"method"}, {1});
  constexpr int kThreads = 8;
  constexpr int kIncrements = 20000;
  constexpr int kMethods = 5;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        const std::string method = absl::StrCat("m", i % kMethods);
        calls.WithLabels({method}).Increment();
        latency.WithLabels({method}).Observe(0.5);
      }
    });
  }
  // Scrapes while series are being created and updated.
  for (int i = 0; i < 20; ++i) EXPECT_THAT(registry.Render(), HasSubstr("# TYPE"));
  for (std::thread& thread : threads) thread.join();

  for (int m = 0; m < kMethods; ++m) {
    const std::string method = absl::StrCat("m", m);
    EXPECT_EQ(calls.WithLabels({method}).value(), kThreads * kIncrements / kMethods);
    const Histogram& histogram = latency.WithLabels({method});
    EXPECT_EQ(histogram.BucketCounts()[0], uint64_t{kThreads * kIncrements / kMethods});
    EXPECT_DOUBLE_EQ(histogram.sum(), 0.5 * kThreads * kIncrements / kMethods);
  }
}

}  // namespace
}  // namespace objgate::metrics
