#include "server/http/instrumented_http_client.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;

// Answers every request with `status` and `body`, or fails with `error` before any answer.
class ScriptedHttpClient final : public HttpClient {
 public:
  absl::Status Perform(const HttpRequest& /*request*/, ResponseSink& sink) override {
    if (!error.ok()) return error;
    HttpResponseHead head;
    head.status = status;
    if (absl::Status s = sink.OnHead(head); !s.ok()) return s;
    return sink.OnBody(body);
  }

  int status = 200;
  std::string body;
  absl::Status error;
};

class CollectingSink final : public ResponseSink {
 public:
  absl::Status OnHead(const HttpResponseHead& head) override {
    status = head.status;
    return absl::OkStatus();
  }
  absl::Status OnBody(absl::string_view bytes) override {
    body.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }

  int status = 0;
  std::string body;
};

HttpRequest Request(std::string method) {
  HttpRequest request;
  request.method = std::move(method);
  request.url = "http://store/download?key=k";
  return request;
}

TEST(InstrumentedHttpClientTest, PassesTheExchangeThroughAndCountsItByStatus) {
  metrics::MetricRegistry registry;
  ScriptedHttpClient inner;
  InstrumentedHttpClient client(inner, registry);
  inner.status = 206;
  inner.body = "bytes";

  CollectingSink sink;
  ASSERT_TRUE(client.Perform(Request("GET"), sink).ok());
  inner.status = 503;
  CollectingSink second;
  ASSERT_TRUE(client.Perform(Request("GET"), second).ok());

  EXPECT_EQ(sink.status, 206);
  EXPECT_EQ(sink.body, "bytes");
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
  ScriptedHttpClient inner;
  InstrumentedHttpClient client(inner, registry);
  inner.error = absl::UnavailableError("connection refused");

  CollectingSink sink;
  const absl::Status status = client.Perform(Request("PUT"), sink);

  EXPECT_EQ(status, inner.error);
  EXPECT_THAT(registry.Render(),
              HasSubstr("objgate_upstream_requests_total{method=\"PUT\",status=\"error\"} 1\n"));
}

}  // namespace
}  // namespace objgate
