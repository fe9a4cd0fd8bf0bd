#ifndef OBJGATE_TESTS_SUPPORT_SUBPROCESS_H_
#define OBJGATE_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace objgate::test_support {

struct SubprocessOptions {
  // Absolute, or relative to the runfiles root: "tools/refstore/refstore" for a test with
  // data = ["//tools/refstore:refstore"].
  std::string binary;
  std::vector<std::string> args;
  // Set in the child on top of the inherited environment.
  std::vector<std::pair<std::string, std::string>> env;
  // The first stdout line in which this ECMAScript regex is found marks the process as
  // ready; its first group, if any, becomes address().
  std::string ready_pattern = R"(listening on (\S+))";
  // For a child that prints nothing when it is ready (HAProxy): when set, the child is
  // ready once 127.0.0.1:ready_port accepts a TCP connection, and ready_pattern is unused.
  int ready_port = 0;
  absl::Duration ready_timeout = absl::Seconds(30);
};

// A child process for cross-process tests, e.g. a server on an ephemeral port:
//
//   SubprocessOptions options;
//   options.binary = "tools/refstore/refstore";
//   options.args = {"--listen=127.0.0.1:0", "--data_dir=" + dir.path()};
//   absl::StatusOr<std::unique_ptr<Subprocess>> server = Subprocess::Start(options);
//   ASSERT_TRUE(server.ok()) << server.status();
//   HttpClient client((*server)->address());   // "http://127.0.0.1:41234"
//
// Start returns once the ready line appears, never after a fixed sleep. The destructor
// kills (SIGKILL) and reaps a child still running, so a failing test leaks no process;
// the child also gets SIGKILL if the thread that started it exits. Its stderr is the
// test's; its stdout after the ready line is copied to the test's stderr.
class Subprocess {
 public:
  // Fails with what the child printed if it exits, or stays silent past the timeout,
  // before printing the ready line.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);

  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& ready_line() const { return ready_line_; }
  const std::string& address() const { return address_; }

  // Sends `signal` and waits up to `timeout` for the child to exit; returns its wait
  // status (see WIFEXITED). DEADLINE_EXCEEDED leaves the child running.
  absl::StatusOr<int> Stop(int signal = SIGTERM, absl::Duration timeout = absl::Seconds(10));

 private:
  Subprocess(pid_t pid, int pidfd, int stdout_fd)
      : pid_(pid), pidfd_(pidfd), stdout_fd_(stdout_fd) {}

  absl::Status WaitForReadyLine(const SubprocessOptions& options);
  absl::StatusOr<int> WaitForExit(absl::Duration timeout);

  const pid_t pid_;
  const int pidfd_;
  const int stdout_fd_;
  bool reaped_ = false;
  std::string ready_line_;
  std::string address_;
  std::thread stdout_forwarder_;
};

// The path of a runfile given relative to the runfiles root; absolute paths unchanged.
std::string RunfilePath(absl::string_view path);

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_SUPPORT_SUBPROCESS_H_
