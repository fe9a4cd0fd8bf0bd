#ifndef OBJGATE_CLIENT_ERRORS_H_
#define OBJGATE_CLIENT_ERRORS_H_

#include "absl/status/status.h"

namespace objgate {

// Every Client call reports failure as an absl::Status whose code is the gRPC code the
// gateway answered (or the client's own, for a broken or corrupted transfer) and whose
// message says what failed. This is the one error family of the library, in the place of
// the SDK's MinIOError.
//
// Why absl::Status and not exceptions: failures of a network call are ordinary outcomes
// that callers handle in line, status values compose with the rest of the codebase (and
// with gRPC's own codes, one to one), and no exception ever crosses the library boundary.

// Tested with Abseil's own predicates:
//   absl::IsNotFound(status)         no object under that key for this tenant
//   absl::IsUnavailable(status)      the gateway or the store could not be reached, even
//                                    after the client's retries
//   absl::IsInvalidArgument(status)  a key, range, configuration or other argument was out
//                                    of range; the message names it
//   absl::IsDataLoss(status)         a download's length or SHA-256 did not check out;
//                                    never returned together with data
// and with these for the cases that take more than one code to name:

// The tenant's quota would be exceeded, or the object is larger than the store accepts.
inline bool IsQuotaExceeded(const absl::Status& status) {
  return absl::IsResourceExhausted(status);
}

// The gateway or the store refused the tenant: none given, or not allowed.
inline bool IsTenantRefused(const absl::Status& status) {
  return absl::IsPermissionDenied(status) || absl::IsUnauthenticated(status);
}

}  // namespace objgate

#endif  // OBJGATE_CLIENT_ERRORS_H_
