#ifndef OBJGATE_SERVER_SECURITY_TENANT_LIMITER_H_
#define OBJGATE_SERVER_SECURITY_TENANT_LIMITER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace objgate {

struct TenantLimits {
  // Calls of one tenant in flight at once; 0 for no limit.
  int max_concurrent_calls = 0;
  // Calls one tenant may start per second on average, with bursts of up to `burst`;
  // 0 for no limit.
  double calls_per_second = 0;
  int burst = 1;
};

// Keeps one tenant from taking the whole gateway: a call over its tenant's limits is
// refused with RESOURCE_EXHAUSTED at once, rather than queued behind the others.
// Thread-safe; state is per tenant and small.
class TenantLimiter {
 public:
  // The right to run one call; gives its concurrency slot back when it goes.
  class Permit {
   public:
    // A permit that limits nothing, for when no limiter is configured.
    static Permit None() { return Permit(nullptr, ""); }
    Permit(Permit&& other) noexcept;
    Permit& operator=(Permit&&) = delete;
    ~Permit();

   private:
    friend class TenantLimiter;
    Permit(TenantLimiter* limiter, std::string tenant)
        : limiter_(limiter), tenant_(std::move(tenant)) {}
    TenantLimiter* limiter_;
    std::string tenant_;
  };

  TenantLimiter(TenantLimits limits, Clock& clock);

  bool enabled() const { return limits_.max_concurrent_calls > 0 || limits_.calls_per_second > 0; }

  absl::StatusOr<Permit> Admit(absl::string_view tenant);

 private:
  struct TenantState {
    int in_flight = 0;
    double tokens = 0;
    absl::Time refilled = absl::InfinitePast();
  };
  void Release(const std::string& tenant);

  const TenantLimits limits_;
  Clock& clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, TenantState> tenants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SECURITY_TENANT_LIMITER_H_
