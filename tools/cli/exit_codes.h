#ifndef OBJGATE_TOOLS_CLI_EXIT_CODES_H_
#define OBJGATE_TOOLS_CLI_EXIT_CODES_H_

#include "absl/status/status.h"

namespace objgate::cli {

// The CLI's exit status by class of error, so that scripts can branch without parsing
// messages. Listed in `objgate --help`.
enum ExitCode : int {
  kExitOk = 0,
  kExitOtherError = 1,
  kExitUsage = 2,           // the command line itself is wrong
  kExitNotFound = 3,        // no such object (or local file)
  kExitInvalid = 4,         // the gateway refused an argument (key, range, size, checksum)
  kExitRefused = 5,         // no tenant, or the tenant is not allowed
  kExitQuota = 6,           // quota exceeded, or the object is too large
  kExitUnavailable = 7,     // gateway or store unreachable, or too slow: try again later
  kExitDataLoss = 8,        // bytes failed their length or checksum check
  kExitPrecondition = 9,    // a condition (--if_none_match, --if_match) was not met, or the
                            // gateway is misconfigured (the message says which)
};

ExitCode ExitCodeFor(const absl::Status& status);

}  // namespace objgate::cli

#endif  // OBJGATE_TOOLS_CLI_EXIT_CODES_H_
