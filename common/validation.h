#ifndef OBJGATE_COMMON_VALIDATION_H_
#define OBJGATE_COMMON_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace objgate {

// Limits shared by the gateway and the reference store, so that both sides of the REST
// call agree on what is a valid name.
inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxTenantIdChars = 64;

// An object key is 1 to 1024 bytes without NUL. Slashes, dots and any other byte are
// ordinary characters: a key is never interpreted as a path. Returns INVALID_ARGUMENT
// naming `field` ("key", "prefix", ...) when the key is not valid.
absl::Status ValidateObjectKey(absl::string_view key, absl::string_view field = "key");

// Like ValidateObjectKey, but the empty string is allowed (an absent prefix or cursor).
absl::Status ValidateOptionalKey(absl::string_view key, absl::string_view field);

// A tenant id is 1 to 64 characters from [A-Za-z0-9._-] starting with a letter or digit,
// which makes it safe as a directory name and in a header. UUIDs are the usual choice.
absl::Status ValidateTenantId(absl::string_view tenant_id);

}  // namespace objgate

#endif  // OBJGATE_COMMON_VALIDATION_H_
