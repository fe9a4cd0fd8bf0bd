#include "server/service/access_log.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace objgate {

std::string AccessLog::Format(const AccessRecord& record, absl::Time now) {
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()),
      " method=", record.method, " tenant=", record.tenant_id.empty() ? "-" : record.tenant_id);
  if (!record.key.empty()) {
    // Keys may hold any byte but NUL; escaping keeps one call on one line.
    absl::StrAppend(&line, " key=\"", absl::CHexEscape(record.key.substr(0, 256)), "\"");
  }
  absl::StrAppend(&line, " code=", absl::StatusCodeToString(record.status.code()),
                  // A call moves payload one way only.
                  " bytes=", record.bytes_received + record.bytes_sent,
                  " duration_ms=", absl::ToDoubleMilliseconds(record.duration),
                  " retries=", record.retries);
  if (record.resumes > 0) absl::StrAppend(&line, " resumes=", record.resumes);
  if (!record.request_id.empty()) absl::StrAppend(&line, " request_id=", record.request_id);
  if (!record.status.ok()) {
    absl::StrAppend(&line, " error=\"", absl::CHexEscape(record.status.message()), "\"");
  }
  return line;
}

void AccessLog::OnCallEnd(const AccessRecord& record) {
  if (out_ == nullptr) return;
  const std::string line = Format(record, absl::Now()) + "\n";
  absl::MutexLock lock(&mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace objgate
