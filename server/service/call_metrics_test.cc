#include "server/service/call_metrics.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AccessRecord Ended(const std::string& method, absl::Status status) {
  AccessRecord record;
  record.method = method;
  record.status = std::move(status);
  record.duration = absl::Milliseconds(20);
  return record;
}

TEST(CallMetricsTest, CountsCallsByMethodAndCode) {
  metrics::MetricRegistry registry;
  CallMetrics metrics(registry);

  for (int i = 0; i < 2; ++i) {
    metrics.OnCallStart("Upload");
    metrics.OnCallEnd(Ended("Upload", absl::OkStatus()));
  }
  metrics.OnCallStart("Download");
  metrics.OnCallEnd(Ended("Download", absl::NotFoundError("no such object")));

  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("objgate_calls_total{method=\"Upload\",code=\"OK\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("objgate_calls_total{method=\"Download\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("objgate_call_duration_seconds_bucket{method=\"Upload\",le="
                              "\"0.025\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("objgate_call_duration_seconds_count{method=\"Upload\"} 2\n"));
}

TEST(CallMetricsTest, InFlightCountsCallsBetweenStartAndEnd) {
  metrics::MetricRegistry registry;
  CallMetrics metrics(registry);

  metrics.OnCallStart("Download");
  metrics.OnCallStart("Download");
  EXPECT_THAT(registry.Render(), HasSubstr("objgate_calls_in_flight{method=\"Download\"} 2\n"));

  metrics.OnCallEnd(Ended("Download", absl::OkStatus()));
  metrics.OnCallEnd(Ended("Download", absl::CancelledError("gone")));
  EXPECT_THAT(registry.Render(), HasSubstr("objgate_calls_in_flight{method=\"Download\"} 0\n"));
}

TEST(CallMetricsTest, AddsBytesRetriesAndResumes) {
  metrics::MetricRegistry registry;
  CallMetrics metrics(registry);
  AccessRecord upload = Ended("Upload", absl::OkStatus());
  upload.bytes_received = 1000;
  upload.retries = 2;
  AccessRecord download = Ended("Download", absl::OkStatus());
  download.bytes_sent = 300;
  download.resumes = 1;

  metrics.OnCallStart("Upload");
  metrics.OnCallEnd(upload);
  metrics.OnCallStart("Download");
  metrics.OnCallEnd(download);

  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("objgate_bytes_received_total 1000\n"));
  EXPECT_THAT(text, HasSubstr("objgate_bytes_sent_total 300\n"));
  EXPECT_THAT(text, HasSubstr("objgate_retries_total 2\n"));
  EXPECT_THAT(text, HasSubstr("objgate_resumed_downloads_total 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("code=\"UNKNOWN\"")));
}

}  // namespace
}  // namespace objgate
