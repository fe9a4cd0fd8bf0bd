#include "server/service/reactor_streams.h"

#include <utility>

namespace objgate {

QueuedWriteReactor::QueuedWriteReactor(size_t max_queued_bytes)
    : max_queued_bytes_(max_queued_bytes) {}

bool QueuedWriteReactor::Write(grpc::ByteBuffer message, bool last) {
  std::unique_lock<std::mutex> lock(mu_);
  if (caller_gone_) return false;
  if (last) {
    last_ = std::move(message);
    return true;
  }
  unwritten_bytes_ += message.Length();
  queue_.push_back(std::move(message));
  if (!write_in_flight_) {
    StartNext(std::move(lock));
    lock = std::unique_lock<std::mutex>(mu_);
  }
  drained_.wait(lock, [this] { return unwritten_bytes_ <= max_queued_bytes_ || caller_gone_; });
  return !caller_gone_;
}

void QueuedWriteReactor::FinishAfterWrites(grpc::Status status) {
  std::unique_lock<std::mutex> lock(mu_);
  finish_status_ = std::move(status);
  if (write_in_flight_) return;  // OnWriteDone goes on from here
  StartNext(std::move(lock));
}

void QueuedWriteReactor::StartNext(std::unique_lock<std::mutex> lock) {
  if (finished_) return;
  if (!caller_gone_ && !queue_.empty()) {
    writing_ = std::move(queue_.front());
    queue_.pop_front();
    writing_bytes_ = writing_.Length();
    write_in_flight_ = true;
    lock.unlock();
    // gRPC may run OnWriteDone on this thread before StartWrite returns: no lock is held.
    StartWrite(&writing_);
    return;
  }
  if (!finish_status_) return;  // the blocking side has more to say
  finished_ = true;
  grpc::Status status = *std::move(finish_status_);
  if (caller_gone_ || !last_) {
    lock.unlock();
    Finish(std::move(status));
    return;
  }
  // Only the last message is left: it goes out with the status.
  writing_ = *std::move(last_);
  last_.reset();
  lock.unlock();
  StartWriteAndFinish(&writing_, grpc::WriteOptions(), std::move(status));
}

void QueuedWriteReactor::OnWriteDone(bool ok) {
  std::unique_lock<std::mutex> lock(mu_);
  write_in_flight_ = false;
  unwritten_bytes_ -= writing_bytes_;
  writing_bytes_ = 0;
  if (!ok) {
    caller_gone_ = true;
    queue_.clear();
    last_.reset();
    unwritten_bytes_ = 0;
  }
  drained_.notify_all();
  StartNext(std::move(lock));
}

void QueuedWriteReactor::OnCancel() {
  std::lock_guard<std::mutex> lock(mu_);
  caller_gone_ = true;
  drained_.notify_all();
}

QueuedReadReactor::QueuedReadReactor(size_t max_queued_bytes)
    : max_queued_bytes_(max_queued_bytes), read_in_flight_(true) {
  StartRead(&reading_);
}

bool QueuedReadReactor::Read(grpc::ByteBuffer* message) {
  std::unique_lock<std::mutex> lock(mu_);
  arrived_.wait(lock, [this] { return !queue_.empty() || ended_; });
  if (queue_.empty()) return false;
  *message = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= message->Length();
  const bool read_more = !read_in_flight_ && !ended_ && !finished_ &&
                         queued_bytes_ < max_queued_bytes_;
  if (!read_more) return true;
  read_in_flight_ = true;
  lock.unlock();
  StartRead(&reading_);
  return true;
}

void QueuedReadReactor::FinishNow(grpc::Status status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
  }
  Finish(std::move(status));
}

void QueuedReadReactor::OnReadDone(bool ok) {
  std::unique_lock<std::mutex> lock(mu_);
  read_in_flight_ = false;
  if (!ok) {
    ended_ = true;
    arrived_.notify_all();
    return;
  }
  queued_bytes_ += reading_.Length();
  queue_.push_back(std::move(reading_));
  reading_.Clear();
  arrived_.notify_all();
  if (finished_ || queued_bytes_ >= max_queued_bytes_) return;
  read_in_flight_ = true;
  lock.unlock();
  StartRead(&reading_);
}

void QueuedReadReactor::OnCancel() {
  std::lock_guard<std::mutex> lock(mu_);
  ended_ = true;
  arrived_.notify_all();
}

}  // namespace objgate
