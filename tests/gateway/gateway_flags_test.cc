// The gateway binary's command line: --help lists its own flags with their environment
// variables, and a flag out of range is refused with exit code 2 before anything starts.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace objgate::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct GatewayRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

GatewayRun Gateway(const std::string& args) {
  const std::string command =
      absl::StrCat(RunfilePath("server/gateway"), " ", args, " 2>&1");
  GatewayRun run;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t got = 0;
  while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.output.append(buffer, got);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST(GatewayFlagsTest, HelpListsTheGatewaysFlagsAndTheirEnvironmentVariables) {
  GatewayRun run = Gateway("--help");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* expected :
       {"Usage: gateway", "--listen (default 127.0.0.1:50051; env OBJGATE_LISTEN)",
        "--upstream (default http://127.0.0.1:9000; env OBJGATE_UPSTREAM)",
        "--download_chunk_bytes (default 1048576; env OBJGATE_DOWNLOAD_CHUNK_BYTES)",
        "--verify_download_checksums (default true; env OBJGATE_VERIFY_DOWNLOAD_CHECKSUMS)",
        "--replay_buffer_bytes", "--metrics_listen", "--drain_delay", "--grace_period"}) {
    EXPECT_THAT(run.output, HasSubstr(expected));
  }
  // Only the gateway's own flags, not every library's.
  EXPECT_THAT(run.output, Not(HasSubstr("--flagfile")));
}

TEST(GatewayFlagsTest, EnvironmentVariableIsNamedWhenItsValueDoesNotParse) {
  GatewayRun run = Gateway("--help 2>/dev/null; OBJGATE_POOL_SIZE=many " +
                           RunfilePath("server/gateway"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("OBJGATE_POOL_SIZE=many"));
}

TEST(GatewayFlagsTest, ChunkSizeOutOfRangeIsRefusedWithUsageExitCode) {
  GatewayRun run = Gateway("--download_chunk_bytes=100");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--download_chunk_bytes must be 1024 to half of"));
}

}  // namespace
}  // namespace objgate::test_support
