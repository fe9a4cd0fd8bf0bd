#include "server/http/curl_handle_pool.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace objgate {
namespace {

// How often a waiter checks whether its caller went away.
constexpr absl::Duration kCancelPollInterval = absl::Milliseconds(50);

}  // namespace

CurlHandlePool::CurlHandlePool(size_t max_handles) : max_handles_(std::max<size_t>(1, max_handles)) {}

CurlHandlePool::~CurlHandlePool() {
  std::lock_guard<std::mutex> lock(mu_);
  for (CURL* handle : idle_) curl_easy_cleanup(handle);
}

CurlHandlePool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), handle_(other.handle_) {
  other.handle_ = nullptr;
}

CurlHandlePool::Lease::~Lease() {
  if (handle_ != nullptr) pool_->Release(handle_);
}

absl::StatusOr<CurlHandlePool::Lease> CurlHandlePool::Acquire(
    absl::Time deadline, const std::function<bool()>& is_cancelled) {
  std::unique_lock<std::mutex> lock(mu_);
  while (idle_.empty() && created_ == max_handles_) {
    if (is_cancelled && is_cancelled()) {
      return absl::CancelledError("caller cancelled while waiting for an upstream connection");
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "deadline passed while all ", max_handles_, " upstream connections were busy"));
    }
    released_.wait_for(lock, absl::ToChronoNanoseconds(
                                 std::min(deadline - now, kCancelPollInterval)));
  }
  if (!idle_.empty()) {
    CURL* handle = idle_.back();
    idle_.pop_back();
    return Lease(this, handle);
  }
  CURL* handle = curl_easy_init();
  if (handle == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  ++created_;
  return Lease(this, handle);
}

void CurlHandlePool::Release(CURL* handle) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(handle);
  }
  released_.notify_one();
}

CurlHandlePool::Stats CurlHandlePool::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{max_handles_, created_ - idle_.size(), idle_.size()};
}

}  // namespace objgate
