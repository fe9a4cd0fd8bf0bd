#include "tools/faultproxy/request_log.h"

#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate::faultproxy {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

LoggedRequest Request(std::string target) {
  LoggedRequest request;
  request.method = "GET";
  request.target = std::move(target);
  request.headers = {{"Range", "bytes=5-"}, {"X-Tenant-ID", "t"}};
  request.rule = "rule-1";
  request.action = "reset_after_body_bytes";
  request.started = absl::FromUnixMicros(1700000000123456);
  return request;
}

TEST(RequestLogTest, JsonRoundTripKeepsEveryField) {
  RequestLog log;
  const uint64_t finished = log.Begin(Request("/download?key=a%20b"));
  log.Begin(Request("/list"));
  ExchangeOutcome outcome;
  outcome.status = 206;
  outcome.request_body_bytes = 3;
  outcome.response_body_bytes = 1 << 20;
  outcome.client_closed = true;
  outcome.ended = absl::FromUnixMicros(1700000001000000);
  log.Finish(finished, outcome);

  absl::StatusOr<std::vector<LoggedRequest>> parsed =
      ParseRequestLog(log.ToJson(absl::ZeroDuration()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  const LoggedRequest& first = (*parsed)[0];
  EXPECT_EQ(first.method, "GET");
  EXPECT_EQ(first.target, "/download?key=a%20b");
  EXPECT_EQ(first.path(), "/download");
  EXPECT_THAT(first.headers, ElementsAre(Pair("Range", "bytes=5-"), Pair("X-Tenant-ID", "t")));
  EXPECT_EQ(first.Header("range"), "bytes=5-");
  EXPECT_EQ(first.Header("If-Match"), std::nullopt);
  EXPECT_EQ(first.rule, "rule-1");
  EXPECT_EQ(first.action, "reset_after_body_bytes");
  EXPECT_EQ(first.started, absl::FromUnixMicros(1700000000123456));
  ASSERT_TRUE(first.outcome.has_value());
  EXPECT_EQ(first.outcome->status, 206);
  EXPECT_EQ(first.outcome->request_body_bytes, 3u);
  EXPECT_EQ(first.outcome->response_body_bytes, 1u << 20);
  EXPECT_TRUE(first.outcome->client_closed);
  EXPECT_EQ(first.outcome->ended, outcome.ended);
  EXPECT_FALSE((*parsed)[1].outcome.has_value());
}

TEST(RequestLogTest, ClearForgetsRequestsAndIgnoresTheirLateEnd) {
  RequestLog log;
  const uint64_t before = log.Begin(Request("/a"));
  log.Clear();
  const uint64_t after = log.Begin(Request("/b"));
  log.Finish(before, ExchangeOutcome{});
  absl::StatusOr<std::vector<LoggedRequest>> parsed =
      ParseRequestLog(log.ToJson(absl::ZeroDuration()));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].target, "/b");
  EXPECT_FALSE((*parsed)[0].outcome.has_value());
  log.Finish(after, ExchangeOutcome{});
}

TEST(RequestLogTest, ToJsonWaitsNoLongerThanTheSettleTime) {
  RequestLog log;
  log.Begin(Request("/stalled"));
  const absl::Time start = absl::Now();
  log.ToJson(absl::Milliseconds(50));
  const absl::Duration waited = absl::Now() - start;
  EXPECT_GE(waited, absl::Milliseconds(50));
  EXPECT_LT(waited, absl::Seconds(5));
}

TEST(RequestLogTest, MalformedLogIsAnError) {
  EXPECT_FALSE(ParseRequestLog("{}").ok());
  EXPECT_FALSE(ParseRequestLog("not json").ok());
}

}  // namespace
}  // namespace objgate::faultproxy
