#include "server/http/instrumented_http_client.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http/testing/fake_http_client.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;

HttpRequest Request(std::string method) {
  HttpRequest request;
  request.method = std::move(method);
  request.url = "http://store/download?key=k";
  return request;
}

FakeHttpAnswer Answer(int status, std::string body) {
  FakeHttpAnswer answer;
  answer.status = status;
  answer.body = std::move(body);
  return answer;
}

TEST(InstrumentedHttpClientTest, PassesTheExchangeThroughAndCountsItByStatus) {
  metrics::MetricRegistry registry;
  FakeHttpClient inner;
  InstrumentedHttpClient client(inner, registry);
  inner.Enqueue(Answer(206, "bytes"));
  inner.Enqueue(Answer(503, ""));

  absl::StatusOr<BufferedResponse> first = PerformBuffered(client, Request("GET"), 1024);
  absl::StatusOr<BufferedResponse> second = PerformBuffered(client, Request("GET"), 1024);

  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->status, 206);
  EXPECT_EQ(first->body, "bytes");
  EXPECT_EQ(second->status, 503);
  const std::string text = registry.Render();
  EXPECT_THAT(text,
              HasSubstr("objgate_upstream_requests_total{method=\"GET\",status=\"206\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("objgate_upstream_requests_total{method=\"GET\",status=\"503\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("objgate_upstream_request_duration_seconds_count{method=\"GET\"} 2\n"));
}

TEST(InstrumentedHttpClientTest, TransportErrorsCountAsStatusError) {
  metrics::MetricRegistry registry;
  FakeHttpClient inner;
  InstrumentedHttpClient client(inner, registry);
  FakeHttpAnswer refused;
  refused.error = absl::UnavailableError("connection refused");
  inner.Enqueue(refused);

  const absl::Status status = PerformBuffered(client, Request("PUT"), 1024).status();

  EXPECT_EQ(status, refused.error);
  EXPECT_THAT(registry.Render(),
              HasSubstr("objgate_upstream_requests_total{method=\"PUT\",status=\"error\"} 1\n"));
}

}  // namespace
}  // namespace objgate
