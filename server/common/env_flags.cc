#include "server/common/env_flags.h"

#include <cstdlib>
#include <string>

#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"

namespace objgate {

absl::Status ApplyEnvironmentFallbacks(absl::Span<const EnvFallback> fallbacks) {
  for (const auto& [flag_name, variable] : fallbacks) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(flag_name);
    if (flag == nullptr) return absl::InternalError(absl::StrCat("no flag --", flag_name));
    const char* value = std::getenv(variable);
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(variable, "=", value, ": ", error));
    }
  }
  return absl::OkStatus();
}

}  // namespace objgate
