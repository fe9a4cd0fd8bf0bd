#include "server/service/blocking_executor.h"

#include <algorithm>
#include <utility>

namespace objgate {
namespace {

BlockingExecutorOptions Sane(BlockingExecutorOptions options) {
  options.max_threads = std::max(1, options.max_threads);
  return options;
}

}  // namespace

BlockingExecutor::BlockingExecutor(BlockingExecutorOptions options)
    : options_(Sane(options)) {}

BlockingExecutor::~BlockingExecutor() {
  std::unique_lock<std::mutex> lock(mu_);
  stopping_ = true;
  work_or_stop_.notify_all();
  // Each thread runs the queue dry before it ends.
  thread_ended_.wait(lock, [this] { return ended_.size() == threads_.size(); });
  lock.unlock();
  for (std::thread& thread : threads_) thread.join();
}

void BlockingExecutor::Schedule(std::function<void()> task) {
  std::vector<std::thread> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (ThreadList::iterator thread : ended_) {
      ended.push_back(std::move(*thread));
      threads_.erase(thread);
    }
    ended_.clear();
    tasks_.push_back(std::move(task));
    if (idle_threads_ >= static_cast<int>(tasks_.size())) {
      work_or_stop_.notify_one();
    } else if (static_cast<int>(threads_.size()) < options_.max_threads) {
      ++threads_started_;
      threads_.emplace_back();
      ThreadList::iterator self = std::prev(threads_.end());
      *self = std::thread([this, self] { WorkLoop(self); });
    }
  }
  Join(std::move(ended));
}

void BlockingExecutor::WorkLoop(ThreadList::iterator self) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    ++idle_threads_;
    const bool woken = work_or_stop_.wait_for(lock, options_.idle_timeout, [this] {
      return !tasks_.empty() || stopping_;
    });
    --idle_threads_;
    if (tasks_.empty() && (stopping_ || !woken)) break;
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // what the task holds goes before the lock is taken again
    lock.lock();
  }
  ended_.push_back(self);
  thread_ended_.notify_all();
}

void BlockingExecutor::Join(std::vector<std::thread> threads) {
  for (std::thread& thread : threads) thread.join();
}

BlockingExecutor::Stats BlockingExecutor::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {static_cast<int>(threads_.size() - ended_.size()), idle_threads_, threads_started_};
}

}  // namespace objgate
