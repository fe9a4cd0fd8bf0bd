#ifndef OBJGATE_SERVER_SERVICE_BLOCKING_EXECUTOR_H_
#define OBJGATE_SERVER_SERVICE_BLOCKING_EXECUTOR_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace objgate {

struct BlockingExecutorOptions {
  // Most threads at once; tasks beyond wait in order.
  int max_threads = 1024;
  // A thread with nothing to do for this long ends.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(10);
};

// Runs tasks that block (an upstream request, a wait for the caller) on threads of their
// own, off gRPC's callback threads, which must never block. A task starts at once on an
// idle thread, or on a new one while there are fewer than max_threads; a thread that
// finishes a task stays for the next, so a steady load starts no threads. std::mutex
// rather than absl::Mutex, so that ThreadSanitizer sees the locking.
class BlockingExecutor {
 public:
  explicit BlockingExecutor(BlockingExecutorOptions options = {});
  // Runs every task already scheduled to its end, then joins the threads.
  ~BlockingExecutor();

  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  void Schedule(std::function<void()> task);

  struct Stats {
    int threads = 0;
    int idle_threads = 0;
    int64_t threads_started = 0;
  };
  Stats GetStats() const;

 private:
  using ThreadList = std::list<std::thread>;

  void WorkLoop(ThreadList::iterator self);
  // Joins the threads that ended; called without the lock.
  static void Join(std::vector<std::thread> threads);

  const BlockingExecutorOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_or_stop_;
  std::condition_variable thread_ended_;
  std::deque<std::function<void()>> tasks_;
  ThreadList threads_;
  std::vector<ThreadList::iterator> ended_;  // to be joined
  int idle_threads_ = 0;
  int64_t threads_started_ = 0;
  bool stopping_ = false;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_BLOCKING_EXECUTOR_H_
