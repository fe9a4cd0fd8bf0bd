#ifndef OBJGATE_SERVER_UPSTREAM_RETRY_CALL_H_
#define OBJGATE_SERVER_UPSTREAM_RETRY_CALL_H_

#include <utility>

#include "common/clock.h"
#include "common/retry/backoff_policy.h"
#include "common/retry/retry_loop.h"
#include "server/upstream/upstream.h"

namespace objgate {

// Runs `attempt` under a RetryLoop until `context`'s deadline and counts the retries in
// `context.stats`, for the access log: how every upstream layer that retries does it
// (RetryingUpstream for whole calls, S3Upstream for the parts only it holds).
template <typename Attempt>
auto RetryCall(const BackoffPolicy& policy, Clock& clock, const CallContext& context,
               Attempt&& attempt) {
  RetryLoop loop(policy, clock, context.deadline);
  auto result = loop.Run(std::forward<Attempt>(attempt));
  if (context.stats != nullptr) context.stats->retries += loop.retries();
  return result;
}

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_RETRY_CALL_H_
