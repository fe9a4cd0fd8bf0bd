#include "server/upstream/aws_credentials.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace objgate {
namespace {

constexpr absl::string_view kAccessKeyIdVariable = "AWS_ACCESS_KEY_ID";
constexpr absl::string_view kSecretAccessKeyVariable = "AWS_SECRET_ACCESS_KEY";
constexpr absl::string_view kSessionTokenVariable = "AWS_SESSION_TOKEN";
constexpr absl::string_view kSharedFileVariable = "AWS_SHARED_CREDENTIALS_FILE";
constexpr absl::string_view kProfileVariable = "AWS_PROFILE";

constexpr absl::string_view kAccessKeyIdKey = "aws_access_key_id";
constexpr absl::string_view kSecretAccessKeyKey = "aws_secret_access_key";
constexpr absl::string_view kSessionTokenKey = "aws_session_token";

constexpr absl::string_view kDefaultProfile = "default";

// An unset variable and an empty one mean the same, as they do to the AWS CLI.
std::optional<std::string> Lookup(const GetEnv& getenv, absl::string_view name) {
  std::optional<std::string> value = getenv(name);
  if (value.has_value() && value->empty()) return std::nullopt;
  return value;
}

// The access key id and the token travel in headers; a control character or a space in
// them (a stray "\r" from a file edited elsewhere, say) would corrupt the request.
bool IsPrintableAscii(absl::string_view value) {
  for (char c : value) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

// Each `*_where` names the value's source ("AWS_SECRET_ACCESS_KEY"); the value itself never
// appears in the message.
absl::Status CheckCredentials(const AwsCredentials& credentials,
                              absl::string_view access_key_id_where,
                              absl::string_view secret_access_key_where,
                              absl::string_view session_token_where) {
  for (const auto& [value, where] : {
           std::pair(&credentials.access_key_id, access_key_id_where),
           std::pair(&credentials.secret_access_key, secret_access_key_where),
           std::pair(&credentials.session_token, session_token_where),
       }) {
    if (!IsPrintableAscii(*value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where,
                       " holds a space, a control character or a non-ASCII byte; "
                       "AWS credentials are printable ASCII"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("cannot open shared credentials file ", path,
                                                      ": ",
                                                      std::generic_category().message(errno)));
  }
  std::string text;
  char buffer[4096];
  size_t size;
  while ((size = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, size);
  const int read_error = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (read_error != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read shared credentials file ", path,
                                                      ": ",
                                                      std::generic_category().message(read_error)));
  }
  return text;
}

bool IsKeyName(absl::string_view key) {
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

// Profile name -> lowercased key -> value. A section or key that appears twice is merged,
// the later value winning.
using Profiles =
    std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>>;

// No message quotes a line: the one that is malformed may well be a secret's.
absl::StatusOr<Profiles> ParseCredentialsFile(absl::string_view text, absl::string_view path) {
  Profiles profiles;
  std::map<std::string, std::string, std::less<>>* section = nullptr;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const auto malformed = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("shared credentials file ", path, " line ", line_number, ": ", what));
    };
    if (absl::ConsumePrefix(&line, "[")) {
      if (!absl::ConsumeSuffix(&line, "]")) {
        return malformed("a section header needs a closing ']'");
      }
      line = absl::StripAsciiWhitespace(line);
      if (line.empty()) return malformed("a section header needs a profile name");
      section = &profiles[std::string(line)];
      continue;
    }
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos) {
      return malformed("expected \"[profile]\", \"key = value\" or a comment");
    }
    const absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, equals));
    if (key.empty()) return malformed("a key needs a name before '='");
    // A secret whose line lost its '=' but holds one itself ("key SECRET==") must not pass
    // for a key named "key SECRET".
    if (!IsKeyName(key)) {
      return malformed("a key name is letters, digits, '_', '-' and '.' only");
    }
    if (section == nullptr) return malformed("a key comes before any [profile] section");
    (*section)[absl::AsciiStrToLower(key)] =
        std::string(absl::StripAsciiWhitespace(line.substr(equals + 1)));
  }
  return profiles;
}

absl::StatusOr<AwsCredentials> LoadSharedFile(const std::string& path, const std::string& profile) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<Profiles> profiles = ParseCredentialsFile(*text, path);
  if (!profiles.ok()) return profiles.status();
  const auto found = profiles->find(profile);
  if (found == profiles->end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("profile \"", profile, "\" not found in shared credentials file ", path));
  }
  const std::map<std::string, std::string, std::less<>>& keys = found->second;
  const auto value_of = [&keys](absl::string_view key) -> std::string {
    const auto it = keys.find(key);
    return it == keys.end() ? "" : it->second;
  };
  AwsCredentials credentials{value_of(kAccessKeyIdKey), value_of(kSecretAccessKeyKey),
                             value_of(kSessionTokenKey)};
  std::vector<absl::string_view> missing;
  if (credentials.access_key_id.empty()) missing.push_back(kAccessKeyIdKey);
  if (credentials.secret_access_key.empty()) missing.push_back(kSecretAccessKeyKey);
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("profile \"", profile,
                                                      "\" in shared credentials file ", path,
                                                      " has no ", absl::StrJoin(missing, " and ")));
  }
  const std::string in = absl::StrCat(" of profile \"", profile, "\" in ", path);
  if (absl::Status valid = CheckCredentials(credentials, absl::StrCat(kAccessKeyIdKey, in),
                                            absl::StrCat(kSecretAccessKeyKey, in),
                                            absl::StrCat(kSessionTokenKey, in));
      !valid.ok()) {
    return valid;
  }
  return credentials;
}

}  // namespace

GetEnv RealEnvironment() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<std::unique_ptr<AwsCredentialsProvider>> AwsCredentialsProvider::Create(
    GetEnv getenv) {
  std::optional<std::string> access_key_id = Lookup(getenv, kAccessKeyIdVariable);
  std::optional<std::string> secret_access_key = Lookup(getenv, kSecretAccessKeyVariable);
  if (access_key_id.has_value() && secret_access_key.has_value()) {
    AwsCredentials credentials{*std::move(access_key_id), *std::move(secret_access_key),
                               Lookup(getenv, kSessionTokenVariable).value_or("")};
    if (absl::Status valid = CheckCredentials(credentials, kAccessKeyIdVariable,
                                              kSecretAccessKeyVariable, kSessionTokenVariable);
        !valid.ok()) {
      return valid;
    }
    return std::unique_ptr<AwsCredentialsProvider>(
        new AwsCredentialsProvider(Source::kEnvironment, "", "", "", std::move(credentials)));
  }

  // Half the pair set is most likely a mistake; it is named wherever the file's outcome
  // is reported, so that nobody wonders why the variable was not used.
  std::string ignored_environment;
  if (access_key_id.has_value() || secret_access_key.has_value()) {
    ignored_environment =
        absl::StrCat(access_key_id.has_value() ? kAccessKeyIdVariable : kSecretAccessKeyVariable,
                     " is set without ",
                     access_key_id.has_value() ? kSecretAccessKeyVariable : kAccessKeyIdVariable);
  }
  const std::string not_from_environment =
      ignored_environment.empty()
          ? absl::StrCat(kAccessKeyIdVariable, " and ", kSecretAccessKeyVariable, " are not set")
          : ignored_environment;

  // Each "why" says how the file and profile were chosen, for the error message.
  std::string file;
  std::string file_why;
  const std::optional<std::string> home = Lookup(getenv, "HOME");
  if (std::optional<std::string> from_variable = Lookup(getenv, kSharedFileVariable)) {
    file = *std::move(from_variable);
    // The AWS CLI expands a leading "~/" here too.
    if (home.has_value() && absl::StartsWith(file, "~/")) {
      file = absl::StrCat(*home, file.substr(1));
    }
    file_why = absl::StrCat("the file is ", kSharedFileVariable);
  } else if (home.has_value()) {
    file = absl::StrCat(*home, "/.aws/credentials");
    file_why =
        absl::StrCat("the file is $HOME/.aws/credentials as ", kSharedFileVariable, " is not set");
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat("no AWS credentials: ", not_from_environment, ", and neither ",
                     kSharedFileVariable, " nor HOME is set to find the shared credentials file"));
  }
  std::optional<std::string> profile = Lookup(getenv, kProfileVariable);
  const std::string profile_why = profile.has_value()
                                      ? absl::StrCat("the profile is ", kProfileVariable)
                                      : absl::StrCat("the profile is \"", kDefaultProfile, "\" as ",
                                                     kProfileVariable, " is not set");
  if (!profile.has_value()) profile = std::string(kDefaultProfile);

  absl::StatusOr<AwsCredentials> credentials = LoadSharedFile(file, *profile);
  if (!credentials.ok()) {
    return absl::Status(
        credentials.status().code(),
        absl::StrCat("no AWS credentials: ", not_from_environment, ", and ",
                     credentials.status().message(), " (", file_why, "; ", profile_why, ")"));
  }
  return std::unique_ptr<AwsCredentialsProvider>(
      new AwsCredentialsProvider(Source::kSharedFile, std::move(file), *std::move(profile),
                                 std::move(ignored_environment), *std::move(credentials)));
}

AwsCredentialsProvider::AwsCredentialsProvider(Source source, std::string file, std::string profile,
                                               std::string ignored_environment,
                                               AwsCredentials credentials)
    : source_(source),
      file_(std::move(file)),
      profile_(std::move(profile)),
      ignored_environment_(std::move(ignored_environment)),
      credentials_(std::move(credentials)) {}

AwsCredentials AwsCredentialsProvider::Current() const {
  absl::MutexLock lock(&mu_);
  return credentials_;
}

absl::Status AwsCredentialsProvider::Reload() {
  if (source_ == Source::kEnvironment) return absl::OkStatus();
  absl::StatusOr<AwsCredentials> fresh = LoadSharedFile(file_, profile_);
  if (!fresh.ok()) {
    return absl::Status(
        fresh.status().code(),
        absl::StrCat(fresh.status().message(), "; the credentials in force stay in force"));
  }
  absl::MutexLock lock(&mu_);
  credentials_ = *std::move(fresh);
  return absl::OkStatus();
}

std::string AwsCredentialsProvider::Describe() const {
  std::string access_key_id;
  bool has_session_token;
  {
    absl::MutexLock lock(&mu_);
    access_key_id = credentials_.access_key_id;
    has_session_token = !credentials_.session_token.empty();
  }
  std::string description =
      source_ == Source::kEnvironment
          ? absl::StrCat("environment variables ", kAccessKeyIdVariable, " and ",
                         kSecretAccessKeyVariable)
          : absl::StrCat("shared credentials file ", file_, " (profile ", profile_, ")");
  absl::StrAppend(&description, ", access key ", access_key_id);
  if (has_session_token) absl::StrAppend(&description, ", with a session token");
  if (!ignored_environment_.empty()) {
    absl::StrAppend(&description, " (", ignored_environment_, ", which was ignored)");
  }
  return description;
}

}  // namespace objgate
