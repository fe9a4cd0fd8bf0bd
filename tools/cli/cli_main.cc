// objgate: the command line for the gateway, in the spirit of `mc` and `aws s3`.
//
//   objgate put FILE|- KEY      objgate get KEY [FILE|-]     objgate ls [PREFIX] [--long]
//   objgate rm KEY...           objgate stat KEY             objgate cp SRC DST
//   objgate info                objgate health
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "common/command_line.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/progress_bar.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "the gateway's host:port");
ABSL_FLAG(std::string, tenant, "", "tenant id for object commands");
ABSL_FLAG(absl::Duration, timeout, absl::Hours(1), "deadline of each call, transfers included");
ABSL_FLAG(int, max_retries, 3, "retries of calls the gateway reports UNAVAILABLE");
ABSL_FLAG(bool, quiet, false, "no progress bar, even on a terminal");
ABSL_FLAG(bool, tls, false, "connect with TLS (implied by --ca_file or --cert_file)");
ABSL_FLAG(std::string, ca_file, "",
          "PEM CAs to check the gateway's certificate; system roots when empty");
ABSL_FLAG(std::string, cert_file, "", "client certificate for mutual TLS");
ABSL_FLAG(std::string, key_file, "", "client private key for mutual TLS");
ABSL_FLAG(std::string, token, "", "bearer token for a gateway that authenticates tenants");
ABSL_FLAG(bool, long, false, "ls: sizes, dates and etags too");
ABSL_FLAG(std::string, delimiter, "",
          "ls: fold keys at this separator (usually /) into folders, shown as PRE lines");
ABSL_FLAG(std::string, content_type, "", "put: the object's content type");
ABSL_FLAG(std::vector<std::string>, metadata, {},
          "put: user metadata stored with the object, as NAME=VALUE,NAME=VALUE");
ABSL_FLAG(bool, if_none_match, false,
          "put: create only; fail (exit 9) if an object exists under the key");
ABSL_FLAG(std::string, if_match, "",
          "put, rm: only if the object's etag is this one; cp: only if the source's is "
          "(exit 9 otherwise)");
ABSL_FLAG(int64_t, resumable_threshold, int64_t{16} << 20,
          "put: a file of at least this many bytes goes up as a resumable upload where the "
          "gateway offers them: interrupted, the same command continues it (0: never)");
ABSL_FLAG(int64_t, offset, 0, "get: first byte to read");
ABSL_FLAG(int64_t, limit, 0, "get: bytes to read; 0 reads to the end");

namespace objgate::cli {
namespace {

constexpr absl::string_view kEnvPrefix = "OBJGATE_";

// Flags every command takes; those an environment variable may set, for shells and
// containers; and each command's own.
const std::vector<std::string>& GlobalFlags() {
  static const auto* flags =
      new std::vector<std::string>{"target", "tenant", "token",   "timeout",   "max_retries",
                                   "quiet",  "tls",    "ca_file", "cert_file", "key_file"};
  return *flags;
}
const std::vector<std::string>& EnvironmentFlags() {
  static const auto* flags = new std::vector<std::string>{
      "target", "tenant", "token", "timeout", "tls", "ca_file", "cert_file", "key_file"};
  return *flags;
}

constexpr char kUsage[] = R"(objgate: upload, download, list and delete objects through the gateway.

Usage: objgate [flags] COMMAND [ARGS]   (objgate COMMAND --help for one command)

Commands:
  put FILE|- KEY        upload a file, or standard input
  get KEY [FILE|-]      download to a file, or standard output
  ls [PREFIX]           list keys; --long adds size, date, etag; --delimiter=/ folders
  rm KEY...             delete objects
  cp SRC DST            copy an object to another key, inside the store
  stat KEY              show an object's size, etag, type, date, SHA-256, metadata
  info                  show the server's dialect, status, versions, capabilities
  health                exit 0 if the store is live and ready, 7 if not

A progress bar with rate and ETA is drawn on a terminal; never when stderr is piped.

Exit status: 0 ok, 1 other error, 2 usage, 3 not found, 4 invalid argument,
5 tenant refused, 6 quota exceeded, 7 unavailable or timed out (retry later),
8 data failed its checksum, 9 a condition (--if_none_match, --if_match) not met.
Flags may be written with - or _ (--if-none-match is --if_none_match).
)";

struct Command {
  const char* name;
  const char* synopsis;
  const char* help;
  std::vector<std::string> flags;  // the command's own
  size_t min_args;
  size_t max_args;  // SIZE_MAX: any number
  bool needs_tenant;
  std::function<absl::Status(Client&, const std::vector<std::string>&)> run;
};

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }
bool StdoutIsTerminal() { return isatty(STDOUT_FILENO) == 1; }

// A progress callback that draws on the terminal, or nothing when stderr is not one.
struct Progress {
  Progress() {
    if (StderrIsTerminal() && !absl::GetFlag(FLAGS_quiet)) bar.emplace(stderr);
  }
  ProgressCallback callback() {
    if (!bar) return nullptr;
    return [this](const TransferProgress& p) { bar->Update(p.bytes_done, p.bytes_total); };
  }
  void Finish() {
    if (bar) bar->Finish();
  }
  std::optional<ProgressBar> bar;
};

// A file large enough to be worth continuing after an interruption, to a gateway that can.
bool WantsResumable(Client& client, const std::string& path) {
  const int64_t threshold = absl::GetFlag(FLAGS_resumable_threshold);
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (threshold <= 0 || error || static_cast<int64_t>(size) < threshold) return false;
  absl::StatusOr<ServerInfo> info = client.GetServerInfo();
  return info.ok() && std::find(info->capabilities.begin(), info->capabilities.end(),
                                "resumable_upload") != info->capabilities.end();
}

absl::Status Put(Client& client, const std::vector<std::string>& args) {
  const std::string& source = args[0];
  const std::string& key = args[1];
  Progress progress;
  UploadOptions options;
  options.content_type = absl::GetFlag(FLAGS_content_type);
  for (const std::string& pair : absl::GetFlag(FLAGS_metadata)) {
    const size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--metadata takes NAME=VALUE pairs, got \"", pair, "\""));
    }
    options.metadata[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  if (absl::GetFlag(FLAGS_if_none_match)) options.if_none_match = "*";
  options.if_match = absl::GetFlag(FLAGS_if_match);
  options.progress = progress.callback();
  absl::StatusOr<UploadResult> result;
  if (source == "-") {
    result = client.UploadFrom(key, std::cin, options);
  } else if (WantsResumable(client, source)) {
    ResumableUploadOptions resumable;
    resumable.upload = options;
    resumable.on_resume = [&key](int64_t persisted) {
      std::fprintf(stderr, "resuming the upload of %s: %s already stored\n", key.c_str(),
                   HumanBytes(persisted).c_str());
    };
    result = client.UploadFileResumable(key, source, resumable);
  } else {
    result = client.UploadFile(key, source, options);
  }
  if (!result.ok()) return result.status();
  progress.Finish();
  std::fprintf(stderr, "uploaded %s: %lld bytes, sha256 %s\n", result->key.c_str(),
               static_cast<long long>(result->size), result->sha256.c_str());
  return absl::OkStatus();
}

absl::Status Get(Client& client, const std::vector<std::string>& args) {
  const std::string& key = args[0];
  const std::string destination = args.size() > 1 ? args[1] : "-";
  Progress progress;
  DownloadOptions options;
  options.offset = absl::GetFlag(FLAGS_offset);
  options.limit = absl::GetFlag(FLAGS_limit);
  options.progress = progress.callback();
  absl::StatusOr<DownloadResult> result = destination == "-"
                                              ? client.DownloadTo(key, std::cout, options)
                                              : client.DownloadToFile(key, destination, options);
  std::cout.flush();
  if (!result.ok()) return result.status();
  progress.Finish();
  if (destination != "-") {
    std::fprintf(stderr, "downloaded %s to %s: %lld bytes, sha256 %s\n", key.c_str(),
                 destination.c_str(), static_cast<long long>(result->length),
                 result->sha256.c_str());
  }
  return absl::OkStatus();
}

absl::Status Ls(Client& client, const std::vector<std::string>& args) {
  ListOptions options;
  if (!args.empty()) options.prefix = args[0];
  options.delimiter = absl::GetFlag(FLAGS_delimiter);
  absl::StatusOr<Listing> listing = client.ListObjectsAndPrefixes(options);
  if (!listing.ok()) return listing.status();
  const bool human = StdoutIsTerminal();
  const bool long_form = absl::GetFlag(FLAGS_long);
  // Folders and objects in key order, folders as `aws s3 ls` shows them.
  auto folder = listing->prefixes.begin();
  auto print_folders_before = [&](const std::string* key) {
    for (; folder != listing->prefixes.end() && (key == nullptr || *folder < *key); ++folder) {
      if (long_form) {
        std::printf("%12s  %-19s  %-16s  %s\n", "PRE", "", "", folder->c_str());
      } else {
        std::printf("PRE %s\n", folder->c_str());
      }
    }
  };
  for (const ObjectInfo& object : listing->objects) {
    print_folders_before(&object.key);
    if (long_form) {
      const std::string size = human ? HumanBytes(object.size) : absl::StrCat(object.size);
      std::printf(
          "%12s  %s  %s  %s\n", size.c_str(),
          absl::FormatTime("%Y-%m-%d %H:%M:%S", object.last_modified, absl::UTCTimeZone()).c_str(),
          object.etag.empty() ? "-" : object.etag.substr(0, 16).c_str(), object.key.c_str());
    } else {
      std::printf("%s\n", object.key.c_str());
    }
  }
  print_folders_before(nullptr);
  return absl::OkStatus();
}

absl::Status Rm(Client& client, const std::vector<std::string>& args) {
  absl::Status first_failure;
  for (const std::string& key : args) {
    absl::Status status = client.Delete(key, DeleteOptions{absl::GetFlag(FLAGS_if_match)});
    if (status.ok()) {
      std::fprintf(stderr, "removed %s\n", key.c_str());
    } else {
      std::fprintf(stderr, "objgate: rm %s: %s\n", key.c_str(),
                   std::string(status.message()).c_str());
      if (first_failure.ok()) first_failure = status;
    }
  }
  // Reported above already; the status only sets the exit code.
  return first_failure.ok() ? first_failure : absl::Status(first_failure.code(), "");
}

absl::Status Cp(Client& client, const std::vector<std::string>& args) {
  absl::StatusOr<CopyResult> copied =
      client.Copy(args[0], args[1], CopyOptions{absl::GetFlag(FLAGS_if_match)});
  if (!copied.ok()) return copied.status();
  std::fprintf(stderr, "copied %s to %s: %lld bytes%s%s\n", args[0].c_str(), copied->key.c_str(),
               static_cast<long long>(copied->size), copied->sha256.empty() ? "" : ", sha256 ",
               copied->sha256.c_str());
  return absl::OkStatus();
}

absl::Status Stat(Client& client, const std::vector<std::string>& args) {
  absl::StatusOr<ObjectInfo> object = client.Stat(args[0]);
  if (!object.ok()) return object.status();
  std::printf("Key:           %s\n", object->key.c_str());
  std::printf("Size:          %lld (%s)\n", static_cast<long long>(object->size),
              HumanBytes(object->size).c_str());
  std::printf("ETag:          %s\n", object->etag.c_str());
  std::printf("Content-Type:  %s\n", object->content_type.c_str());
  std::printf(
      "Last-Modified: %s\n",
      absl::FormatTime(absl::RFC3339_sec, object->last_modified, absl::UTCTimeZone()).c_str());
  std::printf("SHA-256:       %s\n",
              object->sha256.empty() ? "(none stored)" : object->sha256.c_str());
  for (const auto& [name, value] : object->metadata) {
    std::printf("Metadata:      %s: %s\n", name.c_str(), value.c_str());
  }
  return absl::OkStatus();
}

absl::Status Info(Client& client, const std::vector<std::string>&) {
  absl::StatusOr<ServerInfo> info = client.GetServerInfo();
  if (!info.ok()) return info.status();
  std::printf("Dialect:     %s\n", info->dialect.c_str());
  std::printf("Status:      %s\n", info->status.c_str());
  std::printf("Version:     %s\n", info->version.c_str());
  std::printf("Performance: %s\n", info->performance.c_str());
  std::printf("Gateway:     %s\n", info->gateway_version.c_str());
  std::printf("Capabilities: %s\n", absl::StrJoin(info->capabilities, " ").c_str());
  return absl::OkStatus();
}

absl::Status Health(Client& client, const std::vector<std::string>&) {
  absl::StatusOr<bool> healthy = client.HealthCheck();
  if (!healthy.ok()) return healthy.status();
  std::printf("%s\n", *healthy ? "healthy" : "unhealthy");
  return *healthy ? absl::OkStatus() : absl::UnavailableError("");
}

const std::vector<Command>& Commands() {
  static const auto* commands = new std::vector<Command>{
      {"put",
       "put FILE|- KEY",
       "Uploads FILE, or standard input for -, under KEY. A file is retried if the\n"
       "gateway is unavailable; standard input cannot be read twice.\n"
       "--metadata=NAME=VALUE,... stores user metadata with it, which stat shows where\n"
       "the store keeps it. --if_none_match stores it only if KEY is free,\n"
       "--if_match=ETAG only over that version (exit 9 otherwise); info lists\n"
       "conditional_upload where the store enforces them. A file of\n"
       "--resumable_threshold bytes or more goes up resumably where info lists\n"
       "resumable_upload: interrupted (Ctrl-C, a lost network), the same command\n"
       "continues from what the store holds. The upload id is kept in\n"
       "$XDG_CACHE_HOME/objgate/uploads (~/.cache/objgate/uploads) until it completes.",
       {"content_type", "metadata", "if_none_match", "if_match", "resumable_threshold"},
       2,
       2,
       true,
       Put},
      {"get",
       "get KEY [FILE|-]",
       "Downloads KEY to FILE (through a temporary file, renamed once its checksum\n"
       "checks out), or to standard output.",
       {"offset", "limit"},
       1,
       2,
       true,
       Get},
      {"ls",
       "ls [PREFIX]",
       "Lists keys that start with PREFIX. --long adds size (exact bytes when piped),\n"
       "last-modified time (UTC) and etag. --delimiter=/ shows the folders below PREFIX\n"
       "as PRE lines instead of the keys in them, as aws s3 ls does.",
       {"long", "delimiter"},
       0,
       1,
       true,
       Ls},
      {"rm",
       "rm KEY...",
       "Deletes each KEY; reports each one. --if_match=ETAG deletes only that version\n"
       "(where info lists conditional_delete).",
       {"if_match"},
       1,
       SIZE_MAX,
       true,
       Rm},
      {"cp",
       "cp SRC DST",
       "Copies SRC to DST with its content type, metadata and SHA-256; the bytes do not\n"
       "pass through this machine. --if_match=ETAG copies only that version of SRC.",
       {"if_match"},
       2,
       2,
       true,
       Cp},
      {"stat",
       "stat KEY",
       "Shows KEY's size, etag, content type, last-modified time, stored SHA-256 and\n"
       "user metadata.",
       {},
       1,
       1,
       true,
       Stat},
      {"info",
       "info",
       "Shows the upstream's dialect, status, version and performance, the gateway's\n"
       "version, and what the gateway can do with the upstream.",
       {},
       0,
       0,
       false,
       Info},
      {"health",
       "health",
       "Prints healthy or unhealthy; exits 0 when the store is live and ready, 7\n"
       "otherwise.",
       {},
       0,
       0,
       false,
       Health},
  };
  return *commands;
}

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : Commands()) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

int Usage(const std::string& problem) {
  std::fprintf(stderr, "objgate: %s\n\n%s", problem.c_str(), kUsage);
  return kExitUsage;
}

// `objgate --help`: the commands and every flag; `objgate COMMAND --help`: that command
// and the flags it takes.
int Help(int argc, char** argv) {
  const Command* command = nullptr;
  for (int i = 1; i < argc && command == nullptr; ++i) command = FindCommand(argv[i]);
  if (command == nullptr) {
    std::vector<std::string> command_flags;
    for (const Command& c : Commands()) {
      command_flags.insert(command_flags.end(), c.flags.begin(), c.flags.end());
    }
    std::printf("%s\nGlobal flags:\n%s\nCommand flags:\n%s", kUsage,
                DescribeFlags(GlobalFlags(), kEnvPrefix, EnvironmentFlags()).c_str(),
                DescribeFlags(command_flags, kEnvPrefix, EnvironmentFlags()).c_str());
    return kExitOk;
  }
  std::printf("Usage: objgate [flags] %s\n\n%s\n", command->synopsis, command->help);
  if (!command->flags.empty()) {
    std::printf("\nFlags:\n%s",
                DescribeFlags(command->flags, kEnvPrefix, EnvironmentFlags()).c_str());
  }
  std::printf("\nGlobal flags, which objgate --help describes:\n");
  const std::vector<std::string>& globals = GlobalFlags();
  for (size_t i = 0; i < globals.size(); i += 5) {
    const auto end = globals.begin() + std::min(i + 5, globals.size());
    std::printf("  --%s\n", absl::StrJoin(globals.begin() + i, end, ", --").c_str());
  }
  return kExitOk;
}

// --if-none-match reads as --if_none_match: the flag library knows only the underscores,
// people type either.
void UnderscoreFlagNames(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return;
    if (std::strncmp(argv[i], "--", 2) != 0) continue;
    for (char* c = argv[i] + 2; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

int Run(int argc, char** argv) {
  UnderscoreFlagNames(argc, argv);
  if (WantsHelp(argc, argv)) return Help(argc, argv);
  absl::SetProgramUsageMessage(kUsage);
  if (absl::Status env = ApplyEnvironmentFallbacks(kEnvPrefix, EnvironmentFlags()); !env.ok()) {
    return Usage(std::string(env.message()));
  }
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) return Usage("no command given");
  const Command* command = FindCommand(positional[1]);
  if (command == nullptr) return Usage(absl::StrCat("unknown command \"", positional[1], "\""));
  std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (args.size() < command->min_args || args.size() > command->max_args) {
    return Usage(absl::StrCat("usage: objgate ", command->synopsis));
  }

  ClientConfig config;
  config.target = absl::GetFlag(FLAGS_target);
  // Server-wide commands need no tenant; the client still wants a well-formed one.
  config.tenant_id = absl::GetFlag(FLAGS_tenant);
  if (config.tenant_id.empty()) {
    if (command->needs_tenant) return Usage("--tenant (or OBJGATE_TENANT) is required");
    config.tenant_id = "none";
  }
  config.timeout = absl::GetFlag(FLAGS_timeout);
  config.max_retries = absl::GetFlag(FLAGS_max_retries);
  config.tls = absl::GetFlag(FLAGS_tls);
  config.ca_file = absl::GetFlag(FLAGS_ca_file);
  config.cert_file = absl::GetFlag(FLAGS_cert_file);
  config.key_file = absl::GetFlag(FLAGS_key_file);
  config.bearer_token = absl::GetFlag(FLAGS_token);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
  if (!client.ok()) return Usage(std::string(client.status().message()));

  std::ios::sync_with_stdio(false);
  absl::Status status = command->run(**client, args);
  if (!status.ok() && !status.message().empty()) {
    std::fprintf(stderr, "objgate: %s: %s\n", command->name, std::string(status.message()).c_str());
  }
  return ExitCodeFor(status);
}

}  // namespace
}  // namespace objgate::cli

int main(int argc, char** argv) { return objgate::cli::Run(argc, argv); }
