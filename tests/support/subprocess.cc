#include "tests/support/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace objgate::test_support {
namespace {

// Enough of the child's early output to explain a failed start.
constexpr size_t kMaxKeptOutput = 64 * 1024;

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

std::vector<std::string> ChildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const absl::string_view name = absl::string_view(*entry).substr(
        0, absl::string_view(*entry).find('='));
    bool overridden = false;
    for (const auto& [override_name, value] : overrides) overridden |= override_name == name;
    if (!overridden) env.emplace_back(*entry);
  }
  for (const auto& [name, value] : overrides) env.push_back(absl::StrCat(name, "=", value));
  return env;
}

std::vector<char*> NullTerminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

void WriteAllTo(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    bytes.remove_prefix(written);
  }
}

// Whether a TCP connection to 127.0.0.1:port is accepted.
bool AcceptsConnections(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

}  // namespace

std::string RunfilePath(absl::string_view path) {
  if (absl::StartsWith(path, "/")) return std::string(path);
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    return absl::StrCat(srcdir, "/", workspace, "/", path);
  }
  return std::string(path);
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const SubprocessOptions& options) {
  // Everything the child needs is built before fork: after it, only async-signal-safe
  // calls are allowed, and the test process has threads.
  std::vector<std::string> argv_strings = {RunfilePath(options.binary)};
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env_strings = ChildEnvironment(options.env);
  std::vector<char*> argv = NullTerminated(argv_strings);
  std::vector<char*> envp = NullTerminated(env_strings);
  const std::string exec_failed = absl::StrCat("cannot execute ", argv_strings[0], "\n");

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return ErrnoError("fork");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(pipe_fds[1], STDOUT_FILENO);
    execve(argv[0], argv.data(), envp.data());
    WriteAllTo(STDERR_FILENO, exec_failed);
    _exit(127);
  }
  close(pipe_fds[1]);
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  std::unique_ptr<Subprocess> process(new Subprocess(pid, pidfd, pipe_fds[0]));
  if (pidfd < 0) return ErrnoError("pidfd_open");
  absl::Status ready = process->WaitForReadyLine(options);
  if (!ready.ok()) return ready;
  return process;
}

absl::Status Subprocess::WaitForReadyLine(const SubprocessOptions& options) {
  const std::regex pattern(options.ready_pattern);
  const absl::Time deadline = absl::Now() + options.ready_timeout;
  std::string output;
  size_t line_start = 0;
  while (true) {
    if (options.ready_port > 0) {
      if (AcceptsConnections(options.ready_port)) {
        address_ = absl::StrCat("127.0.0.1:", options.ready_port);
        break;
      }
    }
    const size_t newline =
        options.ready_port > 0 ? std::string::npos : output.find('\n', line_start);
    if (newline != std::string::npos) {
      const std::string line = output.substr(line_start, newline - line_start);
      line_start = newline + 1;
      std::smatch match;
      if (std::regex_search(line, match, pattern)) {
        ready_line_ = line;
        if (match.size() > 1) address_ = match[1];
        break;
      }
      continue;
    }
    const int64_t left_ms =
        std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
    // A port is asked again every few milliseconds; a line is waited for.
    const int64_t wait_ms = options.ready_port > 0 ? std::min<int64_t>(left_ms, 10) : left_ms;
    pollfd poll_fd = {stdout_fd_, POLLIN, 0};
    const int polled = poll(&poll_fd, 1, static_cast<int>(wait_ms));
    if (polled < 0 && errno == EINTR) continue;
    if (polled == 0 && left_ms > 0) continue;
    if (polled <= 0) {
      const std::string awaited =
          options.ready_port > 0
              ? absl::StrCat("did not accept connections on port ", options.ready_port)
              : absl::StrCat("printed no line matching /", options.ready_pattern, "/");
      return absl::DeadlineExceededError(
          absl::StrCat(options.binary, " ", awaited, " within ",
                       absl::FormatDuration(options.ready_timeout), "; its stdout so far:\n",
                       output));
    }
    char buffer[4096];
    const ssize_t got = read(stdout_fd_, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      absl::StatusOr<int> status = WaitForExit(absl::Seconds(5));
      return absl::FailedPreconditionError(absl::StrCat(
          options.binary, " closed its stdout (wait status ",
          status.ok() ? absl::StrCat(*status) : std::string(status.status().message()),
          ") before printing a line matching /", options.ready_pattern, "/; its stdout:\n",
          output));
    }
    if (output.size() < kMaxKeptOutput) output.append(buffer, got);
  }
  // The child blocks if its stdout fills, so keep draining it for the rest of its life.
  std::string rest = output.substr(line_start);
  stdout_forwarder_ = std::thread([fd = stdout_fd_, rest = std::move(rest)] {
    WriteAllTo(STDERR_FILENO, rest);
    char buffer[4096];
    while (true) {
      const ssize_t got = read(fd, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return;
      WriteAllTo(STDERR_FILENO, absl::string_view(buffer, got));
    }
  });
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::WaitForExit(absl::Duration timeout) {
  pollfd poll_fd = {pidfd_, POLLIN, 0};
  int polled;
  do {
    polled = poll(&poll_fd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  } while (polled < 0 && errno == EINTR);
  if (polled == 0) {
    return absl::DeadlineExceededError(
        absl::StrCat("pid ", pid_, " still running after ", absl::FormatDuration(timeout)));
  }
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) return ErrnoError("waitpid");
  reaped_ = true;
  return status;
}

absl::StatusOr<int> Subprocess::Stop(int signal, absl::Duration timeout) {
  if (reaped_) return absl::FailedPreconditionError("the process has already been reaped");
  kill(pid_, signal);
  return WaitForExit(timeout);
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  // The child is gone, so its stdout reaches end of file and the forwarder ends.
  if (stdout_forwarder_.joinable()) stdout_forwarder_.join();
  close(stdout_fd_);
  if (pidfd_ >= 0) close(pidfd_);
}

}  // namespace objgate::test_support
