#ifndef OBJGATE_COMMON_COMMAND_LINE_H_
#define OBJGATE_COMMON_COMMAND_LINE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace objgate {

// What the project's programs (the gateway, the CLI, the reference store, the fault
// proxy) share about their command lines: Abseil flags, environment variables that set
// them for containers and shells, and a --help that describes both.
//
// A flag's variable is derived from its name here and nowhere else: the program's prefix
// and the name in upper case, so the gateway's --grace_period falls back to
// OBJGATE_GRACE_PERIOD.
//
//   const std::vector<std::string> flags = FlagsDefinedIn("server/main.cc");
//   if (WantsHelp(argc, argv)) { std::cout << kUsage << DescribeFlags(flags, "OBJGATE_", flags); }
//   if (absl::Status env = ApplyEnvironmentFallbacks("OBJGATE_", flags); !env.ok()) ...
//   absl::ParseCommandLine(argc, argv);

// "OBJGATE_", "grace_period" -> "OBJGATE_GRACE_PERIOD".
std::string EnvironmentVariableFor(absl::string_view prefix, absl::string_view flag_name);

// Sets each flag in `flag_names` from its environment variable where that is set. Call it
// before absl::ParseCommandLine, so that a flag given on the command line still wins and
// --help shows the built-in defaults. INVALID_ARGUMENT names a variable whose value does
// not parse as its flag's type; INTERNAL names a flag that does not exist.
absl::Status ApplyEnvironmentFallbacks(absl::string_view prefix,
                                       absl::Span<const std::string> flag_names);

// The names of the flags defined in the source file whose path ends with `file_suffix`
// (a program's main file), in alphabetical order.
std::vector<std::string> FlagsDefinedIn(absl::string_view file_suffix);

// The --help text of `flag_names`, in the order given: each flag with its default, its
// environment variable when it is one of `env_flag_names`, and its help text wrapped
// beneath it.
std::string DescribeFlags(absl::Span<const std::string> flag_names, absl::string_view env_prefix,
                          absl::Span<const std::string> env_flag_names);

// True when the arguments ask for help: --help, -help, -h or --helpfull anywhere before a
// lone "--".
bool WantsHelp(int argc, char** argv);

// The command line of a program whose flags are all defined in its main file and may all
// be set from the environment (the gateway, the reference store, the fault proxy):
//   - on --help, prints `usage` and every flag to stdout and exits 0;
//   - applies the environment; on a value that does not parse, names it on stderr and
//     exits 2;
//   - parses the command line (Abseil exits 1 on an unknown flag).
// Returns the positional arguments, argv[0] first.
std::vector<char*> ParseProgramCommandLine(int argc, char** argv, absl::string_view main_file,
                                           absl::string_view env_prefix, absl::string_view usage);

}  // namespace objgate

#endif  // OBJGATE_COMMON_COMMAND_LINE_H_
