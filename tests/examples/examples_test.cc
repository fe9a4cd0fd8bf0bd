// Runs the eight client examples against a live gateway and checks what each prints.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace objgate::test_support {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

struct ExampleRun {
  int exit_code = -1;
  std::string output;
};

// Runs an example to completion with stdout captured; its stderr is the test's.
ExampleRun RunExample(const std::string& name, const std::string& args = "") {
  const std::string command =
      absl::StrCat(RunfilePath(absl::StrCat("client/examples/", name)), " ", args);
  ExampleRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::printf("$ %s\n%s", name.c_str(), run.output.c_str());
  return run;
}

class ExamplesTest : public SharedGatewayTest {
 protected:
  static void SetUpTestSuite() {
    SharedGatewayTest::SetUpTestSuite();
    setenv("OBJGATE_TARGET", harness().gateway().address().c_str(), 1);
  }
  // Each example works in a tenant of its own.
  void SetUp() override {
    setenv("OBJGATE_TENANT", TestTenant("ex-").c_str(), 1);
  }

};

TEST_F(ExamplesTest, Example1BasicUploadAndDownload) {
  ExampleRun run = RunExample("01_basic_upload_download");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output, "Uploaded: hello.txt (13 bytes)\nContent: Hello, World!\n");
}

TEST_F(ExamplesTest, Example2ScopedClient) {
  ExampleRun run = RunExample("02_scoped_client");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output, "Uploaded: test.txt\nDownloaded: Test data\nClient closed\n");
}

TEST_F(ExamplesTest, Example3BulkUploadReportsEachResult) {
  ExampleRun run = RunExample("03_bulk_upload");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, AllOf(HasSubstr("✓ Uploaded: file1.txt (9 bytes)\n"),
                                HasSubstr("✓ Uploaded: file2.txt (9 bytes)\n"),
                                HasSubstr("✓ Uploaded: file3.txt (9 bytes)\n"),
                                HasSubstr("✗ Failed to upload \"\": spec.key is empty")));
}

TEST_F(ExamplesTest, Example4ListAndDownloadWithPrefix) {
  ExampleRun run = RunExample("04_list_and_download");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output,
            "Found 2 objects with prefix 'uploads/'\n"
            "✓ Downloaded uploads/report.csv: 26 bytes\n"
            "✓ Downloaded uploads/summary.txt: 27 bytes\n");
}

TEST_F(ExamplesTest, Example5CustomConfiguration) {
  ExampleRun run = RunExample("05_custom_config");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.output,
            "Invalid config refused: max_retries must be >= 0, got -1\n"
            "Uploaded with custom config: test.txt (timeout 1m, 5 retries, base delay 2s)\n");
}

TEST_F(ExamplesTest, Example6HealthAndServerInfo) {
  ExampleRun run = RunExample("06_health_and_info");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, AllOf(HasSubstr("✓ Server is healthy\n"), HasSubstr("Server Info:\n"),
                                HasSubstr("  Dialect: rest\n"),
                                HasSubstr("  Status: ok\n"), HasSubstr("  Version: 3.0.0"),
                                HasSubstr("  Performance: 100x\n"), HasSubstr("  Gateway: ")));
}

TEST_F(ExamplesTest, Example7BinaryFilesRoundTrip) {
  TempDir dir;
  std::string image(300000, '\0');
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<char>(i * 37 % 256);
  std::ofstream(dir.Sub("image.jpg"), std::ios::binary) << image;
  ExampleRun run = RunExample("07_binary_files", dir.Sub("image.jpg") + " " + dir.Sub("copy.jpg"));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.output, AllOf(HasSubstr("Uploaded image: 300000 bytes\n"),
                                HasSubstr("Downloaded and saved image (300000 bytes")));
  std::ifstream copy_file(dir.Sub("copy.jpg"), std::ios::binary);
  std::string copy((std::istreambuf_iterator<char>(copy_file)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(copy == image);
}

TEST_F(ExamplesTest, Example8BatchOfHundredOnTenThreads) {
  ExampleRun run = RunExample("08_batch_operations");
  EXPECT_EQ(run.exit_code, 0);
  int uploaded = 0;
  for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
    if (absl::StartsWith(line, "✓ Uploaded: file")) ++uploaded;
  }
  EXPECT_EQ(uploaded, 100);
  EXPECT_THAT(run.output, HasSubstr("Batch done: 100 uploaded, 0 failed\n"));
}

}  // namespace
}  // namespace objgate::test_support
