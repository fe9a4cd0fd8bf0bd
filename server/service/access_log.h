#ifndef OBJGATE_SERVER_SERVICE_ACCESS_LOG_H_
#define OBJGATE_SERVER_SERVICE_ACCESS_LOG_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace objgate {

// What one call did, for its access log line.
struct AccessRecord {
  std::string method;
  std::string tenant_id;
  std::string key;
  std::string request_id;
  absl::Status status;
  // Payload bytes in (Upload) or out (Download).
  int64_t bytes = 0;
  absl::Duration duration;
  int retries = 0;
  int resumes = 0;
};

// One line per call, as key=value pairs that both people and log tools read:
//   2026-11-26T06:40:00.123Z method=Upload tenant=t1 key="a/b" code=OK bytes=5 ...
// Lines are written whole even when many calls end at once.
class AccessLog {
 public:
  // Writes to `out` (not owned); null disables the log.
  explicit AccessLog(std::FILE* out) : out_(out) {}
  void Record(const AccessRecord& record);

  // The line Record writes, without the newline.
  static std::string Format(const AccessRecord& record, absl::Time now);

 private:
  std::FILE* const out_;
  absl::Mutex mu_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_ACCESS_LOG_H_
