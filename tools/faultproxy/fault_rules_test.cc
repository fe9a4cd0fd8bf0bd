#include "tools/faultproxy/fault_rules.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate::faultproxy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

FaultRule ParseOne(const std::string& json) {
  absl::StatusOr<std::vector<FaultRule>> rules = ParseFaultRules(json);
  EXPECT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->size(), 1u);
  return rules->front();
}

TEST(ParseFaultRulesTest, RespondRuleCarriesItsAnswer) {
  const FaultRule rule = ParseOne(R"({"name": "busy", "method": "GET", "path": "/list",
      "query_contains": "prefix=a", "times": 3, "action": "respond", "status": 429,
      "headers": {"Retry-After": "1"}, "body": "slow down", "delay_ms": 250})");
  EXPECT_EQ(rule.name, "busy");
  EXPECT_EQ(rule.method, "GET");
  EXPECT_EQ(rule.path, "/list");
  EXPECT_EQ(rule.query_contains, "prefix=a");
  EXPECT_EQ(rule.times, 3);
  EXPECT_EQ(rule.action, FaultAction::kRespond);
  EXPECT_EQ(rule.status, 429);
  EXPECT_THAT(rule.headers, ElementsAre(Pair("Retry-After", "1")));
  EXPECT_EQ(rule.body, "slow down");
  EXPECT_EQ(rule.delay, absl::Milliseconds(250));
}

TEST(ParseFaultRulesTest, DefaultsMatchAnythingOnce) {
  const FaultRule rule = ParseOne(R"({"action": "forward"})");
  EXPECT_EQ(rule.times, 1);
  EXPECT_TRUE(rule.Matches("DELETE", "/anything", "x=1"));
  EXPECT_EQ(rule.delay, absl::ZeroDuration());
}

TEST(ParseFaultRulesTest, EveryActionParsesByItsName) {
  struct Case {
    std::string json;
    FaultAction action;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"action": "forward"})", FaultAction::kForward},
           {R"({"action": "respond", "status": 503})", FaultAction::kRespond},
           {R"({"action": "reset_before_response", "forward_first": true})",
            FaultAction::kResetBeforeResponse},
           {R"({"action": "reset_after_body_bytes", "bytes": 1})",
            FaultAction::kResetAfterBodyBytes},
           {R"({"action": "stall_after_body_bytes", "bytes": 0})",
            FaultAction::kStallAfterBodyBytes},
           {R"({"action": "close_after_body_bytes", "bytes": 7})",
            FaultAction::kCloseAfterBodyBytes},
           {R"({"action": "replace_body", "body": "<html>"})", FaultAction::kReplaceBody},
           {R"({"action": "reset_after_request_bytes", "bytes": 65536})",
            FaultAction::kResetAfterRequestBytes},
       }) {
    const FaultRule rule = ParseOne(c.json);
    EXPECT_EQ(rule.action, c.action) << c.json;
    EXPECT_THAT(c.json, HasSubstr(std::string(FaultActionName(rule.action))));
  }
}

TEST(ParseFaultRulesTest, ArrayGivesRulesInOrder) {
  absl::StatusOr<std::vector<FaultRule>> rules = ParseFaultRules(
      R"([{"action": "respond", "status": 500}, {"action": "reset_before_response"}])");
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].action, FaultAction::kRespond);
  EXPECT_EQ((*rules)[1].action, FaultAction::kResetBeforeResponse);
}

TEST(ParseFaultRulesTest, MistakesAreRefusedWithTheReason) {
  struct Case {
    std::string json;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"not json", "not valid JSON"},
           {"42", "not a JSON object"},
           {R"({"path": "/list"})", "needs an \"action\""},
           {R"({"action": "explode"})", "unknown action \"explode\""},
           {R"({"action": "respond"})", "respond needs \"status\""},
           {R"({"action": "reset_after_body_bytes"})", "needs \"bytes\""},
           {R"({"action": "replace_body"})", "needs \"body\""},
           {R"({"action": "forward", "bytes": 3})", "\"bytes\" is not used by forward"},
           {R"({"action": "forward", "pth": "/list"})", "\"pth\" is not used"},
           {R"({"action": "forward", "times": 0})", "\"times\" must be"},
           {R"({"action": "forward", "times": "2"})", "\"times\" must be"},
           {R"({"action": "forward", "path": 5})", "\"path\" must be a string"},
           {R"({"action": "forward", "delay_ms": -1})", "\"delay_ms\" must be"},
           {R"({"action": "respond", "status": 99})", "\"status\" must be"},
           {R"({"action": "respond", "status": 200, "headers": {"Content-Length": "3"}})",
            "is set by the proxy"},
           {R"({"action": "respond", "status": 200, "headers": {"X": "a\r\nY: b"}})", "malformed"},
           {R"({"action": "respond", "status": 200, "headers": ["X"]})", "object of strings"},
           {R"({"action": "reset_after_body_bytes", "bytes": -5})", "non-negative"},
           {R"({"action": "reset_before_response", "forward_first": 1})", "true or false"},
           {R"([{"action": "forward"}, {"action": "nope"}])", "fault rule 1"},
       }) {
    absl::StatusOr<std::vector<FaultRule>> rules = ParseFaultRules(c.json);
    ASSERT_FALSE(rules.ok()) << c.json;
    EXPECT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(rules.status().message(), HasSubstr(c.reason)) << c.json;
  }
}

TEST(FaultRuleTest, MatchesOnMethodPathAndQuerySubstring) {
  const FaultRule rule = ParseOne(
      R"({"method": "GET", "path": "/download", "query_contains": "key=big", "action": "forward"})");
  EXPECT_TRUE(rule.Matches("GET", "/download", "key=big.bin"));
  EXPECT_FALSE(rule.Matches("PUT", "/download", "key=big.bin"));
  EXPECT_FALSE(rule.Matches("GET", "/download/x", "key=big.bin"));
  EXPECT_FALSE(rule.Matches("GET", "/download", "key=small"));
}

TEST(FaultRulesTest, RuleAppliesItsTimesThenFallsThrough) {
  FaultRules rules;
  rules.Add(
      *ParseFaultRules(R"({"path": "/list", "times": 2, "action": "respond", "status": 503})"));
  EXPECT_TRUE(rules.Take("GET", "/list", "").has_value());
  EXPECT_TRUE(rules.Take("GET", "/list", "").has_value());
  EXPECT_FALSE(rules.Take("GET", "/list", "").has_value());
}

TEST(FaultRulesTest, FirstMatchingRuleFiresAndUnnamedRulesAreNumbered) {
  FaultRules rules;
  rules.Add(*ParseFaultRules(R"([{"path": "/upload", "action": "respond", "status": 500},
                                 {"action": "respond", "status": 502},
                                 {"name": "late", "action": "respond", "status": 503}])"));
  std::optional<FaultRule> fired = rules.Take("GET", "/list", "");
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->status, 502);
  EXPECT_EQ(fired->name, "rule-2");
  fired = rules.Take("PUT", "/upload", "");
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->name, "rule-1");
  fired = rules.Take("PUT", "/upload", "");
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->name, "late");
}

TEST(FaultRulesTest, ClearRemovesEveryRule) {
  FaultRules rules;
  rules.Add(*ParseFaultRules(R"({"times": 10, "action": "reset_before_response"})"));
  rules.Clear();
  EXPECT_FALSE(rules.Take("GET", "/", "").has_value());
}

}  // namespace
}  // namespace objgate::faultproxy
