#ifndef OBJGATE_SERVER_SERVICE_ACCESS_LOG_H_
#define OBJGATE_SERVER_SERVICE_ACCESS_LOG_H_

#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/service/call_observer.h"

namespace objgate {

// One line per call, as key=value pairs that both people and log tools read:
//   2026-11-26T06:40:00.123Z method=Upload tenant=t1 key="a/b" code=OK bytes=5 ...
// Lines are written whole even when many calls end at once.
class AccessLog final : public CallObserver {
 public:
  // Writes to `out` (not owned); null disables the log.
  explicit AccessLog(std::FILE* out) : out_(out) {}

  void OnCallStart(absl::string_view /*method*/) override {}
  // Writes the call's line.
  void OnCallEnd(const AccessRecord& record) override;

  // The line OnCallEnd writes, without the newline.
  static std::string Format(const AccessRecord& record, absl::Time now);

 private:
  std::FILE* const out_;
  absl::Mutex mu_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_ACCESS_LOG_H_
