#include "tools/faultproxy/request_log.h"

#include <exception>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace objgate::faultproxy {
namespace {

using Json = nlohmann::json;

Json ToJsonValue(const LoggedRequest& request) {
  Json headers = Json::array();
  for (const auto& [name, value] : request.headers) headers.push_back({name, value});
  Json json = {{"method", request.method},
               {"target", request.target},
               {"headers", std::move(headers)},
               {"rule", request.rule},
               {"action", request.action},
               {"started_unix_us", absl::ToUnixMicros(request.started)},
               {"finished", request.outcome.has_value()}};
  if (request.outcome.has_value()) {
    const ExchangeOutcome& outcome = *request.outcome;
    json["status"] = outcome.status;
    json["request_body_bytes"] = outcome.request_body_bytes;
    json["response_body_bytes"] = outcome.response_body_bytes;
    json["client_closed"] = outcome.client_closed;
    json["ended_unix_us"] = absl::ToUnixMicros(outcome.ended);
  }
  return json;
}

LoggedRequest FromJsonValue(const Json& json) {
  LoggedRequest request;
  request.method = json.at("method").get<std::string>();
  request.target = json.at("target").get<std::string>();
  for (const Json& header : json.at("headers")) {
    request.headers.emplace_back(header.at(0).get<std::string>(), header.at(1).get<std::string>());
  }
  request.rule = json.at("rule").get<std::string>();
  request.action = json.at("action").get<std::string>();
  request.started = absl::FromUnixMicros(json.at("started_unix_us").get<int64_t>());
  if (json.at("finished").get<bool>()) {
    ExchangeOutcome outcome;
    outcome.status = json.at("status").get<int>();
    outcome.request_body_bytes = json.at("request_body_bytes").get<uint64_t>();
    outcome.response_body_bytes = json.at("response_body_bytes").get<uint64_t>();
    outcome.client_closed = json.at("client_closed").get<bool>();
    outcome.ended = absl::FromUnixMicros(json.at("ended_unix_us").get<int64_t>());
    request.outcome = outcome;
  }
  return request;
}

}  // namespace

std::optional<std::string> LoggedRequest::Header(absl::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (absl::EqualsIgnoreCase(field, name)) return value;
  }
  return std::nullopt;
}

uint64_t RequestLog::Begin(LoggedRequest request) {
  absl::MutexLock lock(&mu_);
  requests_.push_back(std::move(request));
  ++in_progress_;
  return cleared_ + requests_.size() - 1;
}

void RequestLog::Finish(uint64_t id, ExchangeOutcome outcome) {
  absl::MutexLock lock(&mu_);
  --in_progress_;
  if (id >= cleared_) requests_[id - cleared_].outcome = outcome;
}

void RequestLog::Clear() {
  absl::MutexLock lock(&mu_);
  cleared_ += requests_.size();
  requests_.clear();
}

std::string RequestLog::ToJson(absl::Duration settle) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_progress_ == 0; };
  mu_.AwaitWithTimeout(absl::Condition(&idle), settle);
  Json requests = Json::array();
  for (const LoggedRequest& request : requests_) requests.push_back(ToJsonValue(request));
  // Replace, not throw, should a client send header bytes that are not UTF-8.
  return Json{{"requests", std::move(requests)}}.dump(-1, ' ', false,
                                                      Json::error_handler_t::replace);
}

absl::StatusOr<std::vector<LoggedRequest>> ParseRequestLog(absl::string_view json_text) {
  const Json json = Json::parse(json_text.begin(), json_text.end(), /*cb=*/nullptr,
                                /*allow_exceptions=*/false);
  std::vector<LoggedRequest> requests;
  // The format is the proxy's own, so a mismatch is a bug to report, not input to survive.
  try {
    for (const Json& request : json.at("requests")) requests.push_back(FromJsonValue(request));
  } catch (const std::exception& error) {
    return absl::InternalError(absl::StrCat("malformed fault proxy log: ", error.what()));
  }
  return requests;
}

}  // namespace objgate::faultproxy
