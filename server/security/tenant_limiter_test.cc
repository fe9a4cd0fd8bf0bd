#include "server/security/tenant_limiter.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"
#include "common/testing/fake_clock.h"

namespace objgate {
namespace {

TEST(TenantLimiterTest, DisabledAdmitsEverything) {
  FakeClock clock;
  TenantLimiter limiter(TenantLimits{}, clock);
  EXPECT_FALSE(limiter.enabled());
  std::vector<TenantLimiter::Permit> permits;
  for (int i = 0; i < 1000; ++i) permits.push_back(*limiter.Admit("t"));
}

TEST(TenantLimiterTest, ConcurrencyLimitIsPerTenantAndFreedWhenCallsEnd) {
  FakeClock clock;
  TenantLimits limits;
  limits.max_concurrent_calls = 2;
  TenantLimiter limiter(limits, clock);
  std::optional<TenantLimiter::Permit> first(*limiter.Admit("a"));
  std::optional<TenantLimiter::Permit> second(*limiter.Admit("a"));
  absl::StatusOr<TenantLimiter::Permit> third = limiter.Admit("a");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(limiter.Admit("b").ok()) << "another tenant is not affected";
  first.reset();
  EXPECT_TRUE(limiter.Admit("a").ok());
}

TEST(TenantLimiterTest, RateLimitAllowsBurstThenRefillsWithTime) {
  FakeClock clock;
  TenantLimits limits;
  limits.calls_per_second = 10;
  limits.burst = 3;
  TenantLimiter limiter(limits, clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit("a").ok()) << i;
  EXPECT_EQ(limiter.Admit("a").status().code(), absl::StatusCode::kResourceExhausted);
  clock.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(limiter.Admit("a").ok());
  EXPECT_FALSE(limiter.Admit("a").ok());
  clock.Advance(absl::Seconds(10));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit("a").ok()) << "refill caps at burst";
  EXPECT_FALSE(limiter.Admit("a").ok());
}

}  // namespace
}  // namespace objgate
