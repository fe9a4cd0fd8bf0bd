// The objgate CLI end to end: the real binary, driven through a shell with pipes, against a
// live gateway and reference store.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace objgate::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct ShellRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

class CliTest : public SharedGatewayTest {
 protected:
  // Runs `script` in bash with $OBJGATE naming the CLI, and the gateway and a tenant of the
  // test's own in the environment.
  ShellRun Shell(const std::string& script) {
    const std::string tenant = TestTenant("cli-");
    const std::string command =
        absl::StrCat("OBJGATE=", RunfilePath("tools/cli/objgate"),
                     " OBJGATE_TARGET=", harness().gateway().address(), " OBJGATE_TENANT=", tenant,
                     " DIR=", dir_.path(), " bash -o pipefail -c '", script, "' 2>&1");
    ShellRun run;
    FILE* pipe = popen(command.c_str(), "r");
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }

  TempDir dir_;
};

TEST_F(CliTest, LargeFileRoundTripsThroughPipesWithTheSameChecksum) {
  // 150 MiB from a pipe into put, and from get into a pipe.
  ShellRun run = Shell(
      "head -c 157286400 /dev/urandom > $DIR/src && "
      "sha256sum < $DIR/src | cut -d\" \" -f1 && "
      "cat $DIR/src | $OBJGATE put - big/file.bin && "
      "$OBJGATE get big/file.bin | sha256sum | cut -d\" \" -f1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::vector<std::string> lines = absl::StrSplit(run.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << run.output;
  EXPECT_EQ(lines[0].size(), 64u);
  EXPECT_EQ(lines[0], lines[2]);
  EXPECT_THAT(lines[1], HasSubstr("uploaded big/file.bin: 157286400 bytes, sha256 " + lines[0]));
  // No progress bar when stderr is not a terminal.
  EXPECT_THAT(run.output, Not(HasSubstr("\r")));
}

TEST_F(CliTest, PutGetFilesLsStatRm) {
  ShellRun run = Shell(
      "printf \"hello cli\" > $DIR/a.txt && "
      "$OBJGATE put --content_type=text/plain $DIR/a.txt docs/a.txt && "
      "$OBJGATE put $DIR/a.txt docs/b.txt && "
      "$OBJGATE get docs/a.txt $DIR/copy.txt && cat $DIR/copy.txt && echo && "
      "$OBJGATE ls docs/ && $OBJGATE ls --long docs/a && "
      "$OBJGATE stat docs/a.txt && $OBJGATE rm docs/a.txt docs/b.txt && "
      "$OBJGATE ls && echo listed-nothing");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("hello cli\n"));
  EXPECT_THAT(run.output, HasSubstr("docs/a.txt\ndocs/b.txt\n"));
  // Piped, --long gives exact byte counts.
  EXPECT_THAT(run.output, HasSubstr("           9  20"));
  EXPECT_THAT(run.output, HasSubstr("Size:          9 (9 B)\n"));
  EXPECT_THAT(run.output, HasSubstr("Content-Type:  text/plain\n"));
  // The reference store declares every object's SHA-256.
  EXPECT_THAT(run.output, HasSubstr("SHA-256:       " + Sha256::Hex("hello cli") + "\n"));
  EXPECT_THAT(run.output, HasSubstr("removed docs/a.txt\nremoved docs/b.txt\nlisted-nothing"));
}

TEST_F(CliTest, LsWithADelimiterShowsFoldersAsAwsDoes) {
  ShellRun run = Shell(
      "for k in a.txt photos/2024/x.jpg photos/y.jpg docs/1 z; do "
      "printf x | $OBJGATE put - $k >/dev/null 2>&1 || exit 1; done && "
      "$OBJGATE ls --delimiter=/ && echo -- && $OBJGATE ls --delimiter=/ photos/");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, "a.txt\nPRE docs/\nPRE photos/\nz\n--\nPRE photos/2024/\nphotos/y.jpg\n");
}

TEST_F(CliTest, PutWithMetadataIsValidated) {
  ShellRun run = Shell("printf x | $OBJGATE put --metadata=oops - k");
  EXPECT_EQ(run.exit_code, 4) << run.output;
  EXPECT_THAT(run.output, HasSubstr("--metadata takes NAME=VALUE pairs, got \"oops\""));
  run = Shell(
      "printf x | $OBJGATE put --metadata=author=ada,run=42 - k 2>/dev/null && "
      "$OBJGATE stat k");
  // The reference store keeps no metadata; it is accepted all the same.
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(CliTest, RangedGet) {
  ShellRun run = Shell(
      "printf 0123456789 | $OBJGATE put - digits >/dev/null 2>&1 && "
      "$OBJGATE get --offset=3 --limit=4 digits");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, "3456");
}

TEST_F(CliTest, InfoAndHealth) {
  ShellRun run = Shell("$OBJGATE info && $OBJGATE health");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("Dialect:     rest\n"));
  EXPECT_THAT(run.output, HasSubstr("Capabilities: stat delimiter copy conditional_upload "
                                    "conditional_delete resumable_upload\n"));
  EXPECT_THAT(run.output, HasSubstr("Status:      ok\n"));
  EXPECT_THAT(run.output, HasSubstr("Gateway:     "));
  EXPECT_THAT(run.output, HasSubstr("healthy\n"));
}

TEST_F(CliTest, ExitStatusTellsTheErrorClass) {
  struct Case {
    const char* script;
    int exit_code;
    const char* message;
  };
  const Case cases[] = {
      {"$OBJGATE get nothing-here", 3, "not found"},
      {"$OBJGATE rm nothing-here", 3, "rm nothing-here"},
      {"$OBJGATE put /no/such/file k", 3, "cannot open"},
      {"$OBJGATE frobnicate", 2, "unknown command"},
      {"$OBJGATE put only-one-arg", 2, "usage: objgate put FILE|- KEY"},
      {"OBJGATE_TENANT= $OBJGATE ls", 2, "--tenant"},
      {"$OBJGATE --tenant=../x ls", 2, "tenant_id"},
      {"printf x | $OBJGATE put - \"\"", 4, "spec.key is empty"},
      {"$OBJGATE get --offset=-1 k", 4, "offset"},
      {"$OBJGATE --target=127.0.0.1:1 --max_retries=0 info", 7, "after 1 attempt"},
  };
  for (const Case& c : cases) {
    ShellRun run = Shell(c.script);
    EXPECT_EQ(run.exit_code, c.exit_code) << c.script << "\n" << run.output;
    EXPECT_THAT(run.output, HasSubstr(c.message)) << c.script;
  }
}

TEST_F(CliTest, EveryCommandHasHelp) {
  for (const char* command : {"put", "get", "ls", "rm", "cp", "stat", "info", "health"}) {
    ShellRun run = Shell(absl::StrCat("$OBJGATE ", command, " --help"));
    EXPECT_EQ(run.exit_code, 0) << command;
    EXPECT_THAT(run.output, StartsWith(absl::StrCat("Usage: objgate [flags] ", command)));
    for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
      EXPECT_LE(line.size(), 80u) << command << ": " << line;
    }
  }
  ShellRun run = Shell("$OBJGATE --help");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, StartsWith("objgate: upload, download"));
  EXPECT_THAT(run.output, HasSubstr("Exit status: 0 ok"));
  EXPECT_THAT(run.output, HasSubstr("--tenant (default \"\"; env OBJGATE_TENANT)"));
  EXPECT_THAT(run.output, HasSubstr("--long (default false)"));
  // Only what the tool says itself: no Abseil boilerplate.
  EXPECT_THAT(run.output, Not(HasSubstr("objgate: objgate")));
  EXPECT_THAT(run.output, Not(HasSubstr("No flags matched")));
  EXPECT_THAT(run.output, Not(HasSubstr("helpfull")));
}

TEST_F(CliTest, PutIfNoneMatchCreatesOnceThenExitsNine) {
  ShellRun run = Shell(
      "printf one | $OBJGATE put --if-none-match - k && "
      "printf two | $OBJGATE put --if_none_match - k; echo exit=$? && $OBJGATE get k");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("exit=9"));
  EXPECT_THAT(run.output, HasSubstr("precondition failed"));
  EXPECT_THAT(run.output, HasSubstr("\none"));
}

TEST_F(CliTest, CpCopiesInsideTheStoreAndHonoursTheSourceEtag) {
  ShellRun run = Shell(
      "printf hello | $OBJGATE put --content-type=text/plain - a 2>/dev/null && "
      "$OBJGATE cp a b && $OBJGATE get b && echo && $OBJGATE stat b | grep Content-Type && "
      "$OBJGATE cp --if-match=stale a c; echo exit=$? && $OBJGATE get c; echo exit=$?");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr(absl::StrCat("copied a to b: 5 bytes, sha256 ", Sha256::Hex("hello"))));
  EXPECT_THAT(run.output, HasSubstr("hello\nContent-Type:  text/plain\n"));
  EXPECT_THAT(run.output, HasSubstr("exit=9"));
  EXPECT_THAT(run.output, HasSubstr("exit=3"));
}

}  // namespace
}  // namespace objgate::test_support
