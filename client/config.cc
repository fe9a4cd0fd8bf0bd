#include "client/config.h"

#include "absl/strings/str_cat.h"
#include "common/validation.h"

namespace objgate {

absl::Status ClientConfig::Validate() const {
  if (target.empty()) return absl::InvalidArgumentError("target is empty; say host:port");
  if (absl::Status tenant = ValidateTenantId(tenant_id); !tenant.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("tenant_id: ", tenant.message()));
  }
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout must be positive, got ", absl::FormatDuration(timeout)));
  }
  if (max_retries < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_retries must be >= 0, got ", max_retries));
  }
  if (base_delay <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("base_delay must be positive, got ", absl::FormatDuration(base_delay)));
  }
  if (max_delay < base_delay || max_delay == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("max_delay must be finite and at least base_delay");
  }
  if (chunk_bytes < 1024 || chunk_bytes > (2 << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk_bytes must be 1 KiB to 2 MiB, got ", chunk_bytes));
  }
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("cert_file and key_file go together");
  }
  for (char c : bearer_token) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError("bearer_token must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

}  // namespace objgate
