#include "server/http/curl_handle_pool.h"

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

// A deadline already passed: Acquire must answer at once, never wait for it.
absl::Time Passed() { return absl::InfinitePast(); }

TEST(CurlHandlePoolTest, NeverHandsOutMoreThanItsSize) {
  CurlHandlePool pool(2);
  absl::StatusOr<CurlHandlePool::Lease> first = pool.Acquire(Passed(), nullptr);
  absl::StatusOr<CurlHandlePool::Lease> second = pool.Acquire(Passed(), nullptr);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->handle(), second->handle());
  absl::StatusOr<CurlHandlePool::Lease> third = pool.Acquire(Passed(), nullptr);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(pool.GetStats().in_use, 2u);
  EXPECT_EQ(pool.GetStats().idle, 0u);
}

TEST(CurlHandlePoolTest, ReusesTheMostRecentlyReturnedHandle) {
  CurlHandlePool pool(3);
  std::optional<absl::StatusOr<CurlHandlePool::Lease>> a(pool.Acquire(Passed(), nullptr));
  std::optional<absl::StatusOr<CurlHandlePool::Lease>> b(pool.Acquire(Passed(), nullptr));
  CURL* warm = (*b)->handle();
  a.reset();
  b.reset();  // returned last
  absl::StatusOr<CurlHandlePool::Lease> again = pool.Acquire(Passed(), nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->handle(), warm);
  EXPECT_EQ(pool.GetStats().idle, 1u);
}

TEST(CurlHandlePoolTest, SteadyLoadCreatesNoNewHandles) {
  CurlHandlePool pool(4);
  std::vector<CURL*> seen;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<CurlHandlePool::Lease> lease = pool.Acquire(Passed(), nullptr);
    ASSERT_TRUE(lease.ok());
    seen.push_back(lease->handle());
  }
  for (CURL* handle : seen) EXPECT_EQ(handle, seen.front());
  EXPECT_EQ(pool.GetStats().in_use + pool.GetStats().idle, 1u);
}

TEST(CurlHandlePoolTest, CancelledCallerStopsWaiting) {
  CurlHandlePool pool(1);
  absl::StatusOr<CurlHandlePool::Lease> held = pool.Acquire(Passed(), nullptr);
  ASSERT_TRUE(held.ok());
  absl::StatusOr<CurlHandlePool::Lease> waiting =
      pool.Acquire(absl::InfiniteFuture(), [] { return true; });
  EXPECT_EQ(waiting.status().code(), absl::StatusCode::kCancelled);
}

TEST(CurlHandlePoolTest, WaiterGetsTheHandleWhenItIsReturned) {
  CurlHandlePool pool(1);
  std::optional<absl::StatusOr<CurlHandlePool::Lease>> held(pool.Acquire(Passed(), nullptr));
  ASSERT_TRUE(held->ok());
  CURL* handle = (*held)->handle();
  absl::Notification started;
  CURL* handed_over = nullptr;
  std::thread waiter([&] {
    started.Notify();
    absl::StatusOr<CurlHandlePool::Lease> lease = pool.Acquire(absl::InfiniteFuture(), nullptr);
    if (lease.ok()) handed_over = lease->handle();
  });
  started.WaitForNotification();
  held.reset();  // the waiter, blocked or about to block, takes it
  waiter.join();
  EXPECT_EQ(handed_over, handle);
}

TEST(CurlHandlePoolTest, ManyThreadsNeverShareAHandleOrExceedTheSize) {
  constexpr size_t kSize = 3;
  CurlHandlePool pool(kSize);
  std::atomic<int> in_use{0};
  std::atomic<int> most_in_use{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<CurlHandlePool::Lease> lease =
            pool.Acquire(absl::InfiniteFuture(), nullptr);
        if (!lease.ok()) {
          ++failures;
          continue;
        }
        const int now = ++in_use;
        int seen = most_in_use.load();
        while (now > seen && !most_in_use.compare_exchange_weak(seen, now)) {
        }
        --in_use;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(most_in_use.load(), static_cast<int>(kSize));
  EXPECT_EQ(pool.GetStats().in_use, 0u);
}

}  // namespace
}  // namespace objgate
