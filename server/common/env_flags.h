#ifndef OBJGATE_SERVER_COMMON_ENV_FLAGS_H_
#define OBJGATE_SERVER_COMMON_ENV_FLAGS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace objgate {

// A flag that an environment variable may set, for containers: {"listen", "OBJGATE_LISTEN"}.
using EnvFallback = std::pair<const char*, const char*>;

// Sets each named Abseil flag from its environment variable where that is set. Call it
// before absl::ParseCommandLine, so that a flag given on the command line still wins and
// --help shows the built-in defaults. INVALID_ARGUMENT names a variable whose value does
// not parse as its flag's type; INTERNAL names a flag that does not exist.
absl::Status ApplyEnvironmentFallbacks(absl::Span<const EnvFallback> fallbacks);

}  // namespace objgate

#endif  // OBJGATE_SERVER_COMMON_ENV_FLAGS_H_
