#include "server/service/blocking_executor.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <condition_variable>
#include <mutex>

#include "gtest/gtest.h"

namespace objgate {
namespace {

// A one-shot signal on std primitives, so that ThreadSanitizer (which cannot see Debian's
// Abseil locks) sees every edge of these tests.
class Notification {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  void WaitForNotification() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return notified_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

// Spins (no sleep) until `done` holds.
template <typename Predicate>
void YieldUntil(Predicate done) {
  while (!done()) std::this_thread::yield();
}

TEST(BlockingExecutorTest, RunsEveryTaskBeforeItIsDestroyed) {
  std::atomic<int> ran{0};
  {
    BlockingExecutor executor;
    for (int i = 0; i < 100; ++i) executor.Schedule([&ran] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(BlockingExecutorTest, AThreadThatFinishedATaskRunsTheNext) {
  BlockingExecutor executor;
  for (int i = 0; i < 20; ++i) {
    Notification done;
    executor.Schedule([&done] { done.Notify(); });
    done.WaitForNotification();
    YieldUntil([&] { return executor.GetStats().idle_threads == 1; });
  }
  EXPECT_EQ(executor.GetStats().threads_started, 1);
  EXPECT_EQ(executor.GetStats().threads, 1);
}

TEST(BlockingExecutorTest, TasksBeyondMaxThreadsWaitForAThread) {
  BlockingExecutorOptions options;
  options.max_threads = 2;
  BlockingExecutor executor(options);
  Notification gate;
  std::atomic<int> running{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < 3; ++i) {
    executor.Schedule([&] {
      running.fetch_add(1);
      gate.WaitForNotification();
      finished.fetch_add(1);
    });
  }
  YieldUntil([&] { return running.load() == 2; });
  EXPECT_EQ(executor.GetStats().threads, 2);
  EXPECT_EQ(running.load(), 2) << "the third task started without a free thread";
  gate.Notify();
  YieldUntil([&] { return finished.load() == 3; });
  EXPECT_EQ(executor.GetStats().threads_started, 2);
}

TEST(BlockingExecutorTest, ManyTasksAtOnceEachGetAThread) {
  BlockingExecutor executor;
  Notification gate;
  std::atomic<int> running{0};
  for (int i = 0; i < 16; ++i) {
    executor.Schedule([&] {
      running.fetch_add(1);
      gate.WaitForNotification();
    });
  }
  // Sixteen blocked tasks can only all run on sixteen threads.
  YieldUntil([&] { return running.load() == 16; });
  gate.Notify();
}

TEST(BlockingExecutorTest, IdleThreadsEndAfterTheIdleTimeout) {
  BlockingExecutorOptions options;
  options.idle_timeout = std::chrono::milliseconds(1);
  BlockingExecutor executor(options);
  Notification done;
  executor.Schedule([&done] { done.Notify(); });
  done.WaitForNotification();
  YieldUntil([&] { return executor.GetStats().threads == 0; });
  // The ended thread is joined when the next task comes, which gets a new one.
  Notification again;
  executor.Schedule([&again] { again.Notify(); });
  again.WaitForNotification();
  EXPECT_EQ(executor.GetStats().threads_started, 2);
}

}  // namespace
}  // namespace objgate
