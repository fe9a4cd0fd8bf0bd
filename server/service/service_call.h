#ifndef OBJGATE_SERVER_SERVICE_SERVICE_CALL_H_
#define OBJGATE_SERVER_SERVICE_SERVICE_CALL_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/security/tenant_authenticator.h"
#include "server/security/tenant_limiter.h"
#include "server/service/call_observer.h"
#include "server/upstream/upstream.h"

namespace objgate {

// When the gateway stops: from the cutoff on, upstream work of calls still in flight is
// abandoned and they end with UNAVAILABLE, so that callers know to retry elsewhere.
class ShutdownCutoff {
 public:
  void Set(absl::Time cutoff) {
    unix_nanos_.store(absl::ToUnixNanos(cutoff), std::memory_order_relaxed);
  }
  bool Passed() const {
    return absl::ToUnixNanos(absl::Now()) >= unix_nanos_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t> unix_nanos_{INT64_MAX};
};

// Who may make object calls: the authenticator (null: tenants are taken from
// x-tenant-id as sent) and the per-tenant limits (null: none). Not owned.
struct TenantPolicy {
  const TenantAuthenticator* authenticator = nullptr;
  TenantLimiter* limiter = nullptr;
};

// What every RPC does before and after its own work, written once. Made on the thread
// that does the call's work, it
//   - tells the observer (access log, metrics) that the call started, and when it ends,
//     however it ends, what it did (record());
//   - turns the caller's gRPC context into the upstream layers' CallContext: the deadline,
//     cancellation (the caller went away, or the shutdown cutoff passed), the request id;
//   - for object calls, decides the tenant (AdmitTenant) and holds a permit under the
//     tenant's limits until the call ends.
class ServiceCall {
 public:
  ServiceCall(grpc::CallbackServerContext& context, absl::string_view method,
              CallObserver& observer, const ShutdownCutoff& shutdown);
  // Tells the observer the call ended, with the status given to Finish.
  ~ServiceCall();

  ServiceCall(const ServiceCall&) = delete;
  ServiceCall& operator=(const ServiceCall&) = delete;

  // The tenant from `authorization` (when an authenticator is configured) or from
  // x-tenant-id, into context().tenant_id, and a permit under its limits:
  // UNAUTHENTICATED without a tenant, INVALID_ARGUMENT for a malformed one, what the
  // authenticator or the limiter says otherwise.
  absl::Status AdmitTenant(const TenantPolicy& policy);

  CallContext& context() { return call_context_; }
  AccessRecord& record() { return record_; }
  bool caller_cancelled() const { return server_context_.IsCancelled(); }

  // The call's outcome as the caller gets it, recorded for the observer. A call abandoned
  // at the shutdown cutoff reports UNAVAILABLE, not CANCELLED: the caller did not cancel,
  // and may retry elsewhere.
  grpc::Status Finish(absl::Status status);

 private:
  grpc::CallbackServerContext& server_context_;
  CallObserver& observer_;
  const ShutdownCutoff& shutdown_;
  const absl::Time start_;
  CallStats stats_;
  CallContext call_context_;
  AccessRecord record_;
  std::optional<TenantLimiter::Permit> permit_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_SERVICE_CALL_H_
