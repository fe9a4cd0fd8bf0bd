#ifndef OBJGATE_TOOLS_FAULTPROXY_FAULT_RULES_H_
#define OBJGATE_TOOLS_FAULTPROXY_FAULT_RULES_H_

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

// What the proxy does with a request that a rule matched. The JSON name of each is in
// FaultActionName. Byte counts are of the decoded body, whatever its framing.
enum class FaultAction {
  // Relays the exchange untouched; with a delay, that is a slow upstream.
  kForward,
  // Answers `status`, `headers` and `body` itself; the upstream sees nothing.
  kRespond,
  // Reads the request, then resets the connection before any status line. With
  // `forward_first` the upstream gets the request and answers first, so the work is done
  // upstream while the client never learns of it.
  kResetBeforeResponse,
  // Relays the head and `bytes` body bytes, then resets / sends nothing more until the
  // client gives up / closes cleanly (FIN), leaving the body shorter than its framing says.
  kResetAfterBodyBytes,
  kStallAfterBodyBytes,
  kCloseAfterBodyBytes,
  // Relays the upstream's status and headers with `body` instead of its body.
  kReplaceBody,
  // Relays `bytes` of the request body upstream, then resets both connections: an upload
  // broken in the middle.
  kResetAfterRequestBytes,
};

// "forward", "respond", "reset_before_response", ...
absl::string_view FaultActionName(FaultAction action);

// One scripted fault: which requests it matches, how many times, and what it does.
struct FaultRule {
  // Names the rule in the request log; the proxy assigns "rule-N" when empty.
  std::string name;
  // Exact method and percent-decoded path; empty matches any.
  std::string method;
  std::string path;
  // Must occur in the raw (still encoded) query string; empty matches any.
  std::string query_contains;
  // The rule applies to this many matching requests, then lets them fall through.
  int times = 1;
  FaultAction action = FaultAction::kForward;
  // Waited before the action, whatever it is.
  absl::Duration delay = absl::ZeroDuration();
  // kRespond: the answer. The proxy adds the framing.
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  // kRespond and kReplaceBody: the body sent.
  std::string body;
  // The *Bytes actions: how far the transfer gets before the fault.
  uint64_t bytes = 0;
  // kResetBeforeResponse: let the upstream act first.
  bool forward_first = false;

  bool Matches(absl::string_view request_method, absl::string_view request_path,
               absl::string_view raw_query) const;
};

// Parses one rule (a JSON object) or several (an array of them). Unknown fields, fields
// that the action does not use, and values of the wrong type are errors, so that a typo
// in a test fails loudly instead of silently forwarding.
//
//   {"method": "GET", "path": "/download", "query_contains": "key=big", "times": 1,
//    "action": "reset_after_body_bytes", "bytes": 1048576}
//   {"path": "/list", "times": 3, "action": "respond", "status": 503,
//    "headers": {"Retry-After": "1"}, "body": "{\"error\": \"busy\"}"}
absl::StatusOr<std::vector<FaultRule>> ParseFaultRules(absl::string_view json);

// The rules in force, in the order they were added; the first one that matches a request
// and has uses left fires. Thread-safe.
class FaultRules {
 public:
  void Add(std::vector<FaultRule> rules);
  void Clear();
  // The rule that fires for this request, its use counted; nullopt to forward untouched.
  std::optional<FaultRule> Take(absl::string_view method, absl::string_view path,
                                absl::string_view raw_query);

 private:
  absl::Mutex mu_;
  // `times` counts the uses left.
  std::vector<FaultRule> rules_ ABSL_GUARDED_BY(mu_);
  int added_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace objgate::faultproxy

#endif  // OBJGATE_TOOLS_FAULTPROXY_FAULT_RULES_H_
