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
  absl::MutexLock lock(&mu_);
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
  absl::MutexLock lock(&mu_);
  auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || created_ < max_handles_;
  };
  while (!available()) {
    if (is_cancelled && is_cancelled()) {
      return absl::CancelledError("caller cancelled while waiting for an upstream connection");
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "deadline passed while all ", max_handles_, " upstream connections were busy"));
    }
    mu_.AwaitWithDeadline(absl::Condition(&available),
                          std::min(deadline, absl::Now() + kCancelPollInterval));
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
  absl::MutexLock lock(&mu_);
  idle_.push_back(handle);
}

CurlHandlePool::Stats CurlHandlePool::GetStats() const {
  absl::MutexLock lock(&mu_);
  return Stats{max_handles_, created_ - idle_.size(), idle_.size()};
}

}  // namespace objgate
