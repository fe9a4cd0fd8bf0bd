#include "tests/support/subprocess.h"

#include <sys/wait.h>

#include <cerrno>
#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/ports.h"

namespace objgate::test_support {
namespace {

using ::testing::HasSubstr;

SubprocessOptions Shell(std::string script) {
  SubprocessOptions options;
  options.binary = "/bin/sh";
  options.args = {"-c", std::move(script)};
  return options;
}

TEST(SubprocessTest, StartReturnsAtTheReadyLineWithItsAddress) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(
      Shell("echo booting; echo 'svc listening on http://127.0.0.1:1234'; exec sleep 60"));
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->address(), "http://127.0.0.1:1234");
  EXPECT_EQ((*process)->ready_line(), "svc listening on http://127.0.0.1:1234");
  EXPECT_GT((*process)->pid(), 0);
}

TEST(SubprocessTest, StartFailsWithTheOutputWhenTheChildExitsFirst) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(Shell("echo 'cannot bind'; exit 3"));
  EXPECT_EQ(process.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(process.status().message()), HasSubstr("cannot bind"));
}

TEST(SubprocessTest, StartFailsWhenTheBinaryDoesNotExist) {
  SubprocessOptions options;
  options.binary = "/nonexistent/binary";
  EXPECT_EQ(Subprocess::Start(options).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SubprocessTest, StartTimesOutWithoutAReadyLine) {
  SubprocessOptions options = Shell("echo 'still starting'; exec sleep 60");
  options.ready_timeout = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(options);
  EXPECT_EQ(process.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(process.status().message()), HasSubstr("still starting"));
}

TEST(SubprocessTest, ReadyPortMakesTheChildReadyOnceItAcceptsConnections) {
  const int port = FreeLoopbackPort();
  // Prints a line that would match the default pattern before it listens, which a port
  // wait must not take for readiness.
  SubprocessOptions options = Shell(absl::StrCat(
      "echo 'listening on nothing yet'; exec /usr/bin/python3 -c \"import socket, time\n"
      "time.sleep(0.3)\ns = socket.socket()\ns.bind(('127.0.0.1', ", port,
      "))\ns.listen()\ntime.sleep(60)\""));
  options.ready_port = port;
  const absl::Time started = absl::Now();
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(300));
  EXPECT_EQ((*process)->address(), absl::StrCat("127.0.0.1:", port));
}

TEST(SubprocessTest, ReadyPortTimesOutWhenNothingListens) {
  SubprocessOptions options = Shell("echo 'never listens'; exec sleep 60");
  options.ready_port = FreeLoopbackPort();
  options.ready_timeout = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(options);
  EXPECT_EQ(process.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(process.status().message()), HasSubstr("did not accept connections"));
}

TEST(SubprocessTest, EnvironmentOverridesReachTheChild) {
  SubprocessOptions options = Shell("echo \"listening on $REFSTORE_TEST_VALUE\"; exec sleep 60");
  options.env = {{"REFSTORE_TEST_VALUE", "from-env"}};
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->address(), "from-env");
}

TEST(SubprocessTest, DestructorKillsAndReapsTheChild) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(Shell("echo 'listening on x'; exec sleep 60"));
  ASSERT_TRUE(process.ok()) << process.status();
  const pid_t pid = (*process)->pid();
  process->reset();
  errno = 0;
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(SubprocessTest, StopDeliversTheSignalAndReturnsTheWaitStatus) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(Shell("echo 'listening on x'; exec sleep 60"));
  ASSERT_TRUE(process.ok()) << process.status();
  absl::StatusOr<int> status = (*process)->Stop(SIGTERM);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGTERM);
}

TEST(SubprocessTest, OutputAfterTheReadyLineNeverBlocksTheChild) {
  // Far more than a pipe holds: the child would block forever if nobody drained it.
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(
      Shell("echo 'listening on x'; head -c 300000 /dev/zero | tr '\\0' '.'; exit 0"));
  ASSERT_TRUE(process.ok()) << process.status();
  // SIGCONT changes nothing for a running process; Stop then just waits for the exit.
  absl::StatusOr<int> status = (*process)->Stop(SIGCONT, absl::Seconds(20));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

}  // namespace
}  // namespace objgate::test_support
