#ifndef OBJGATE_TOOLS_FAULTPROXY_REQUEST_LOG_H_
#define OBJGATE_TOOLS_FAULTPROXY_REQUEST_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace objgate::faultproxy {

// How one proxied exchange ended.
struct ExchangeOutcome {
  // The status line sent to the client; 0 when none was.
  int status = 0;
  // Request body bytes read from the client.
  uint64_t request_body_bytes = 0;
  // Response body bytes written toward the client.
  uint64_t response_body_bytes = 0;
  // The client closed or reset the connection before the response ended: how a test sees
  // that the caller gave up (and cancelled its upstream call).
  bool client_closed = false;
  absl::Time ended = absl::InfinitePast();
};

// One request as the proxy saw it.
struct LoggedRequest {
  std::string method;
  // Path and query exactly as the client sent them.
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  // The rule that fired and its action; empty rule when none did.
  std::string rule;
  std::string action;
  absl::Time started = absl::InfinitePast();
  // Unset while the exchange is in progress.
  std::optional<ExchangeOutcome> outcome;

  // The percent-encoded path, without the query.
  absl::string_view path() const { return absl::string_view(target).substr(0, target.find('?')); }
  // The first value of header `name`, compared without regard to case.
  std::optional<std::string> Header(absl::string_view name) const;
};

// The requests the proxy has seen, in arrival order, for tests to read back. Thread-safe.
class RequestLog {
 public:
  // Records a request whose exchange starts now; returns its id for Finish.
  uint64_t Begin(LoggedRequest request);
  void Finish(uint64_t id, ExchangeOutcome outcome);
  void Clear();

  // The log as JSON, once no exchange is in progress or `settle` has passed, whichever is
  // first: a caller that has just seen its call fail can read what the upstream side saw
  // even if the proxy has not noticed the end of the exchange yet.
  std::string ToJson(absl::Duration settle);

 private:
  absl::Mutex mu_;
  std::vector<LoggedRequest> requests_ ABSL_GUARDED_BY(mu_);
  // Ids of requests dropped by Clear; requests_[i] has id cleared_ + i.
  uint64_t cleared_ ABSL_GUARDED_BY(mu_) = 0;
  int in_progress_ ABSL_GUARDED_BY(mu_) = 0;
};

// Reads back what RequestLog::ToJson wrote.
absl::StatusOr<std::vector<LoggedRequest>> ParseRequestLog(absl::string_view json);

}  // namespace objgate::faultproxy

#endif  // OBJGATE_TOOLS_FAULTPROXY_REQUEST_LOG_H_
