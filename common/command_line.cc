#include "common/command_line.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace objgate {
namespace {

constexpr size_t kHelpWidth = 80;
constexpr absl::string_view kHelpIndent = "      ";

// `text` wrapped at word boundaries to lines of at most kHelpWidth, each indented.
std::string Wrap(absl::string_view text) {
  std::string out;
  std::string line(kHelpIndent);
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() > kHelpIndent.size() && line.size() + 1 + word.size() > kHelpWidth) {
      absl::StrAppend(&out, line, "\n");
      line = std::string(kHelpIndent);
    }
    if (line.size() > kHelpIndent.size()) line.push_back(' ');
    absl::StrAppend(&line, word);
  }
  if (line.size() > kHelpIndent.size()) absl::StrAppend(&out, line, "\n");
  return out;
}

}  // namespace

std::string EnvironmentVariableFor(absl::string_view prefix, absl::string_view flag_name) {
  return absl::StrCat(prefix, absl::AsciiStrToUpper(flag_name));
}

absl::Status ApplyEnvironmentFallbacks(absl::string_view prefix,
                                       absl::Span<const std::string> flag_names) {
  for (const std::string& flag_name : flag_names) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(flag_name);
    if (flag == nullptr) return absl::InternalError(absl::StrCat("no flag --", flag_name));
    const std::string variable = EnvironmentVariableFor(prefix, flag_name);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(variable, "=", value, ": ", error));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> FlagsDefinedIn(absl::string_view file_suffix) {
  std::vector<std::string> names;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), file_suffix)) names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string DescribeFlags(absl::Span<const std::string> flag_names, absl::string_view env_prefix,
                          absl::Span<const std::string> env_flag_names) {
  std::string out;
  for (const std::string& name : flag_names) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    absl::StrAppend(&out, "  --", name);
    std::string default_value = flag->DefaultValue();
    if (default_value.empty()) default_value = "\"\"";
    absl::StrAppend(&out, " (default ", default_value);
    if (std::find(env_flag_names.begin(), env_flag_names.end(), name) != env_flag_names.end()) {
      absl::StrAppend(&out, "; env ", EnvironmentVariableFor(env_prefix, name));
    }
    absl::StrAppend(&out, ")\n", Wrap(flag->Help()));
  }
  return out;
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-help" || arg == "-h" || arg == "--helpfull") return true;
  }
  return false;
}

std::vector<char*> ParseProgramCommandLine(int argc, char** argv, absl::string_view main_file,
                                           absl::string_view env_prefix, absl::string_view usage) {
  const std::vector<std::string> flags = FlagsDefinedIn(main_file);
  if (WantsHelp(argc, argv)) {
    std::printf("%s\nFlags (each may also be set by the environment variable shown):\n%s",
                std::string(usage).c_str(), DescribeFlags(flags, env_prefix, flags).c_str());
    std::exit(0);
  }
  if (absl::Status env = ApplyEnvironmentFallbacks(env_prefix, flags); !env.ok()) {
    absl::string_view program = argc > 0 ? argv[0] : "";
    program.remove_prefix(program.rfind('/') + 1);  // npos + 1 is 0
    std::fprintf(stderr, "%s: %s\n", std::string(program).c_str(),
                 std::string(env.message()).c_str());
    std::exit(2);
  }
  absl::SetProgramUsageMessage(usage);
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace objgate
