#include "server/security/tenant_limiter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace objgate {

TenantLimiter::TenantLimiter(TenantLimits limits, Clock& clock)
    : limits_(limits), clock_(clock) {}

TenantLimiter::Permit::Permit(Permit&& other) noexcept
    : limiter_(other.limiter_), tenant_(std::move(other.tenant_)) {
  other.limiter_ = nullptr;
}

TenantLimiter::Permit::~Permit() {
  if (limiter_ != nullptr) limiter_->Release(tenant_);
}

absl::StatusOr<TenantLimiter::Permit> TenantLimiter::Admit(absl::string_view tenant) {
  if (!enabled()) return Permit::None();
  absl::MutexLock lock(&mu_);
  TenantState& state = tenants_[tenant];
  if (limits_.max_concurrent_calls > 0 && state.in_flight >= limits_.max_concurrent_calls) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "tenant ", tenant, " already has ", state.in_flight,
        " calls in flight, its limit; retry when one ends"));
  }
  if (limits_.calls_per_second > 0) {
    const absl::Time now = clock_.Now();
    const double capacity = std::max(1, limits_.burst);
    state.tokens = state.refilled == absl::InfinitePast()
                       ? capacity
                       : std::min(capacity, state.tokens + absl::ToDoubleSeconds(
                                                               now - state.refilled) *
                                                               limits_.calls_per_second);
    state.refilled = now;
    if (state.tokens < 1) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "tenant ", tenant, " is over its rate of ", limits_.calls_per_second,
          " calls per second; retry shortly"));
    }
    state.tokens -= 1;
  }
  ++state.in_flight;
  return Permit(this, std::string(tenant));
}

void TenantLimiter::Release(const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return;
  --it->second.in_flight;
  // Idle tenants without rate state to keep are forgotten, so the map stays small.
  if (it->second.in_flight == 0 && limits_.calls_per_second == 0) tenants_.erase(it);
}

}  // namespace objgate
