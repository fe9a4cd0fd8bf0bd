#ifndef OBJGATE_SERVER_HTTP_CURL_HANDLE_POOL_H_
#define OBJGATE_SERVER_HTTP_CURL_HANDLE_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include <curl/curl.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace objgate {

// A bounded set of libcurl easy handles. Each handle keeps its connection to the upstream
// open between requests (libcurl's per-handle connection cache), so a pool of N handles
// holds at most N connections and, in steady state, opens none: a request borrows an idle
// handle and with it a warm connection. When all N are busy, callers wait for one.
//
// Idle handles are reused most-recently-returned first, so that a light load keeps using
// the same few connections and the rest can time out upstream without harm.
class CurlHandlePool {
 public:
  explicit CurlHandlePool(size_t max_handles);
  ~CurlHandlePool();
  CurlHandlePool(const CurlHandlePool&) = delete;
  CurlHandlePool& operator=(const CurlHandlePool&) = delete;

  // A borrowed handle, returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    CURL* handle() const { return handle_; }

   private:
    friend class CurlHandlePool;
    Lease(CurlHandlePool* pool, CURL* handle) : pool_(pool), handle_(handle) {}
    CurlHandlePool* pool_;
    CURL* handle_;
  };

  // Borrows a handle, waiting while all are busy until `deadline` (DEADLINE_EXCEEDED) or
  // until `is_cancelled` (polled, may be empty) returns true (CANCELLED).
  absl::StatusOr<Lease> Acquire(absl::Time deadline, const std::function<bool()>& is_cancelled);

  struct Stats {
    size_t max_handles = 0;
    size_t in_use = 0;
    size_t idle = 0;
  };
  Stats GetStats() const;

 private:
  void Release(CURL* handle);

  const size_t max_handles_;
  // std::mutex rather than absl::Mutex: the pool is the gateway's most contended lock,
  // and ThreadSanitizer can check pthread-based locks, while Debian's Abseil is not built
  // for it.
  mutable std::mutex mu_;
  std::condition_variable released_;
  std::vector<CURL*> idle_ ABSL_GUARDED_BY(mu_);
  size_t created_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_HTTP_CURL_HANDLE_POOL_H_
