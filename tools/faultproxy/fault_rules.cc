#include "tools/faultproxy/fault_rules.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace objgate::faultproxy {
namespace {

using Json = nlohmann::json;

struct ActionSpec {
  FaultAction action;
  absl::string_view name;
  // Fields beyond the common ones that the action reads (unused slots empty); the first
  // `required` of them must be present.
  absl::string_view fields[3];
  size_t required;

  bool Uses(absl::string_view field) const {
    return std::find(std::begin(fields), std::end(fields), field) != std::end(fields);
  }
};

const ActionSpec kActions[] = {
    {FaultAction::kForward, "forward", {}, 0},
    {FaultAction::kRespond, "respond", {"status", "headers", "body"}, 1},
    {FaultAction::kResetBeforeResponse, "reset_before_response", {"forward_first"}, 0},
    {FaultAction::kResetAfterBodyBytes, "reset_after_body_bytes", {"bytes"}, 1},
    {FaultAction::kStallAfterBodyBytes, "stall_after_body_bytes", {"bytes"}, 1},
    {FaultAction::kCloseAfterBodyBytes, "close_after_body_bytes", {"bytes"}, 1},
    {FaultAction::kReplaceBody, "replace_body", {"body"}, 1},
    {FaultAction::kResetAfterRequestBytes, "reset_after_request_bytes", {"bytes"}, 1},
};

constexpr absl::string_view kCommonFields[] = {"name",  "method", "path",    "query_contains",
                                               "times", "action", "delay_ms"};

// The proxy frames every answer itself; a rule that set these would break the framing.
constexpr absl::string_view kFramingHeaders[] = {"Content-Length", "Transfer-Encoding",
                                                 "Connection"};

absl::Status Invalid(size_t index, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("fault rule ", index, ": ", message));
}

absl::StatusOr<FaultRule> ParseRule(const Json& json, size_t index) {
  if (!json.is_object()) return Invalid(index, "is not a JSON object");
  auto action_field = json.find("action");
  if (action_field == json.end() || !action_field->is_string()) {
    return Invalid(index, "needs an \"action\" string");
  }
  const std::string& action_name = action_field->get_ref<const std::string&>();
  const ActionSpec* spec = std::find_if(std::begin(kActions), std::end(kActions),
                                        [&](const ActionSpec& s) { return s.name == action_name; });
  if (spec == std::end(kActions)) {
    return Invalid(index, absl::StrCat("unknown action \"", action_name, "\""));
  }
  for (const auto& [field, value] : json.items()) {
    const bool known = std::find(std::begin(kCommonFields), std::end(kCommonFields), field) !=
                           std::end(kCommonFields) ||
                       (!field.empty() && spec->Uses(field));
    if (!known) {
      return Invalid(index, absl::StrCat("field \"", field, "\" is not used by ", spec->name));
    }
  }
  for (size_t i = 0; i < spec->required; ++i) {
    if (!json.contains(std::string(spec->fields[i]))) {
      return Invalid(index, absl::StrCat(spec->name, " needs \"", spec->fields[i], "\""));
    }
  }

  FaultRule rule;
  rule.action = spec->action;
  for (auto [field, target] :
       {std::pair{"name", &rule.name}, std::pair{"method", &rule.method},
        std::pair{"path", &rule.path}, std::pair{"query_contains", &rule.query_contains},
        std::pair{"body", &rule.body}}) {
    auto it = json.find(field);
    if (it == json.end()) continue;
    if (!it->is_string()) return Invalid(index, absl::StrCat("\"", field, "\" must be a string"));
    *target = it->get<std::string>();
  }
  if (auto it = json.find("times"); it != json.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 1000000) {
      return Invalid(index, "\"times\" must be an integer from 1 to 1000000");
    }
    rule.times = it->get<int>();
  }
  if (auto it = json.find("delay_ms"); it != json.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 3600000) {
      return Invalid(index, "\"delay_ms\" must be an integer from 0 to 3600000");
    }
    rule.delay = absl::Milliseconds(it->get<int64_t>());
  }
  if (auto it = json.find("status"); it != json.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 200 || it->get<int64_t>() > 599) {
      return Invalid(index, "\"status\" must be an integer from 200 to 599");
    }
    rule.status = it->get<int>();
  }
  if (auto it = json.find("headers"); it != json.end()) {
    if (!it->is_object()) return Invalid(index, "\"headers\" must be an object of strings");
    for (const auto& [name, value] : it->items()) {
      if (!value.is_string()) return Invalid(index, "\"headers\" must be an object of strings");
      for (absl::string_view framing : kFramingHeaders) {
        if (absl::EqualsIgnoreCase(name, framing)) {
          return Invalid(index, absl::StrCat("header ", name, " is set by the proxy"));
        }
      }
      const std::string& text = value.get_ref<const std::string&>();
      if (absl::StrContains(name, ':') || name.find_first_of("\r\n") != std::string::npos ||
          text.find_first_of("\r\n") != std::string::npos) {
        return Invalid(index, absl::StrCat("header ", name, " is malformed"));
      }
      rule.headers.emplace_back(name, text);
    }
  }
  if (auto it = json.find("bytes"); it != json.end()) {
    if (!it->is_number_unsigned()) {
      return Invalid(index, "\"bytes\" must be a non-negative integer");
    }
    rule.bytes = it->get<uint64_t>();
  }
  if (auto it = json.find("forward_first"); it != json.end()) {
    if (!it->is_boolean()) return Invalid(index, "\"forward_first\" must be true or false");
    rule.forward_first = it->get<bool>();
  }
  return rule;
}

}  // namespace

absl::string_view FaultActionName(FaultAction action) {
  for (const ActionSpec& spec : kActions) {
    if (spec.action == action) return spec.name;
  }
  return "unknown";
}

bool FaultRule::Matches(absl::string_view request_method, absl::string_view request_path,
                        absl::string_view raw_query) const {
  return (method.empty() || method == request_method) && (path.empty() || path == request_path) &&
         (query_contains.empty() || absl::StrContains(raw_query, query_contains));
}

absl::StatusOr<std::vector<FaultRule>> ParseFaultRules(absl::string_view json_text) {
  const Json json = Json::parse(json_text.begin(), json_text.end(), /*cb=*/nullptr,
                                /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("fault rules are not valid JSON");
  std::vector<FaultRule> rules;
  if (json.is_array()) {
    for (size_t i = 0; i < json.size(); ++i) {
      absl::StatusOr<FaultRule> rule = ParseRule(json[i], i);
      if (!rule.ok()) return rule.status();
      rules.push_back(*std::move(rule));
    }
  } else {
    absl::StatusOr<FaultRule> rule = ParseRule(json, 0);
    if (!rule.ok()) return rule.status();
    rules.push_back(*std::move(rule));
  }
  return rules;
}

void FaultRules::Add(std::vector<FaultRule> rules) {
  absl::MutexLock lock(&mu_);
  for (FaultRule& rule : rules) {
    ++added_;
    if (rule.name.empty()) rule.name = absl::StrCat("rule-", added_);
    rules_.push_back(std::move(rule));
  }
}

void FaultRules::Clear() {
  absl::MutexLock lock(&mu_);
  rules_.clear();
}

std::optional<FaultRule> FaultRules::Take(absl::string_view method, absl::string_view path,
                                          absl::string_view raw_query) {
  absl::MutexLock lock(&mu_);
  auto it = std::find_if(rules_.begin(), rules_.end(), [&](const FaultRule& rule) {
    return rule.Matches(method, path, raw_query);
  });
  if (it == rules_.end()) return std::nullopt;
  FaultRule fired = *it;
  if (--it->times == 0) rules_.erase(it);
  return fired;
}

}  // namespace objgate::faultproxy
