#include "common/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace objgate {

absl::Status ValidateOptionalKey(absl::string_view key, absl::string_view field) {
  if (key.size() > kMaxKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", key.size(),
                                                   " bytes long; the limit is ",
                                                   kMaxKeyBytes));
  }
  if (absl::StrContains(key, absl::string_view("\0", 1))) {
    return absl::InvalidArgumentError(absl::StrCat(field, " contains a NUL byte"));
  }
  return absl::OkStatus();
}

absl::Status ValidateObjectKey(absl::string_view key, absl::string_view field) {
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty; it must be 1 to ",
                                                   kMaxKeyBytes, " bytes"));
  }
  return ValidateOptionalKey(key, field);
}

absl::Status ValidateTenantId(absl::string_view tenant_id) {
  if (tenant_id.empty() || tenant_id.size() > kMaxTenantIdChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant id must be 1 to ", kMaxTenantIdChars, " characters, got ",
                     tenant_id.size()));
  }
  if (!absl::ascii_isalnum(static_cast<unsigned char>(tenant_id[0]))) {
    return absl::InvalidArgumentError("tenant id must start with a letter or digit");
  }
  for (char c : tenant_id) {
    const auto uc = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(uc) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(
          "tenant id may only contain letters, digits, '-', '_' and '.'");
    }
  }
  return absl::OkStatus();
}

}  // namespace objgate
