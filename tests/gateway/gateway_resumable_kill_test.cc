// A 1 GiB resumable upload through the real objgate CLI, interrupted two ways and
// continued through a different gateway in front of the same store, on both dialects:
//   - the caller is killed (SIGINT, as Ctrl-C) once the store holds a few parts;
//   - the gateway the caller talks to is killed (SIGKILL) mid-way.
// Each time the same command, run again against the other gateway, continues from the
// persisted size; the object is byte-identical (SHA-256), nothing is visible before the
// completion, and no part is stored twice (the gateways' successful PUTs upstream number
// no more than the object's parts).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/local_s3.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace objgate::test_support {
namespace {

namespace v1 = ::storage::v1;
using ::testing::HasSubstr;

constexpr int64_t kObjectBytes = int64_t{1} << 30;
constexpr int64_t kPartBytes = 8 << 20;
constexpr int64_t kParts = kObjectBytes / kPartBytes;
constexpr char kTenant[] = "resume";

// Writes a file of deterministic bytes that do not repeat; returns its SHA-256.
std::string WriteTestFile(const std::string& path) {
  std::ofstream file(path, std::ios::binary);
  std::string chunk(1 << 20, '\0');
  Sha256 hash;
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (int64_t written = 0; written < kObjectBytes; written += chunk.size()) {
    for (size_t i = 0; i + 8 <= chunk.size(); i += 8) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      std::memcpy(&chunk[i], &state, 8);
    }
    file.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    hash.Update(chunk);
  }
  return hash.HexDigest();
}

// The objgate CLI running `put FILE KEY` against `target`; stderr goes to `log`.
pid_t StartPut(const std::string& target, const std::string& file, const std::string& key,
               const std::string& cache_dir, const std::string& log) {
  const std::string cli = RunfilePath("tools/cli/objgate");
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* err = std::freopen(log.c_str(), "w", stderr);
    (void)err;
    setenv("XDG_CACHE_HOME", cache_dir.c_str(), 1);
    const std::string target_flag = "--target=" + target;
    const std::string tenant_flag = absl::StrCat("--tenant=", kTenant);
    execl(cli.c_str(), cli.c_str(), target_flag.c_str(), tenant_flag.c_str(), "--max_retries=0",
          "put", file.c_str(), key.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// The upload id the CLI keeps in its cache, once it has one.
std::string UploadIdIn(const std::string& cache_dir) {
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(cache_dir + "/objgate/uploads", error)) {
    if (entry.path().extension() == ".tmp") continue;
    std::ifstream file(entry.path());
    std::string upload_id;
    if (std::getline(file, upload_id)) return upload_id;
  }
  return "";
}

int64_t Persisted(GatewayHarness& gateway, const std::string& upload_id) {
  v1::QueryUploadStatusRequest request;
  request.set_upload_id(upload_id);
  v1::QueryUploadStatusResponse response;
  if (!gateway.stub().QueryUploadStatus(TenantContext(kTenant).get(), request, &response).ok()) {
    return -1;
  }
  return response.persisted_size();
}

// Waits until the store holds at least `parts` parts of the CLI's upload; its upload id.
std::string WaitForParts(GatewayHarness& gateway, const std::string& cache_dir, int64_t parts) {
  const absl::Time deadline = absl::Now() + absl::Minutes(2);
  while (absl::Now() < deadline) {
    const std::string upload_id = UploadIdIn(cache_dir);
    if (!upload_id.empty() && Persisted(gateway, upload_id) >= parts * kPartBytes) {
      return upload_id;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return "";
}

// Successful PUTs the gateway sent upstream: parts, for a resumable upload.
int64_t SuccessfulPuts(GatewayHarness& gateway) {
  absl::StatusOr<std::string> metrics = gateway.ScrapeMetrics();
  if (!metrics.ok()) return -1;
  static const std::regex kLine(
      R"re(objgate_upstream_requests_total\{method="PUT",(status|code)="2\d\d"\} (\d+))re");
  int64_t total = 0;
  for (std::sregex_iterator it(metrics->begin(), metrics->end(), kLine), end; it != end; ++it) {
    int64_t count = 0;
    if (absl::SimpleAtoi((*it)[2].str(), &count)) total += count;
  }
  return total;
}

std::string DownloadSha256(GatewayHarness& gateway, const std::string& key, grpc::Status& status) {
  v1::DownloadRequest request;
  request.set_key(key);
  auto context = TenantContext(kTenant, absl::Minutes(5));
  auto reader = gateway.stub().Download(context.get(), request);
  v1::DownloadResponse message;
  Sha256 hash;
  while (reader->Read(&message)) {
    if (message.has_data()) hash.Update(message.data());
  }
  status = reader->Finish();
  return hash.HexDigest();
}

class GatewayResumableKillTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == Dialect::kS3) {
      OBJGATE_NEED_LOCAL_S3(s3);
    }
    GatewayHarnessOptions options;
    options.dialect = GetParam();
    options.metrics = true;
    absl::StatusOr<std::unique_ptr<GatewayHarness>> first = GatewayHarness::Start(options);
    ASSERT_TRUE(first.ok()) << first.status();
    first_ = *std::move(first);
    if (GetParam() == Dialect::kRest) {
      options.upstream_url = first_->upstream_url();
    } else {
      options.gateway_args = {"--s3_bucket=" + first_->s3().bucket};
    }
    absl::StatusOr<std::unique_ptr<GatewayHarness>> second = GatewayHarness::Start(options);
    ASSERT_TRUE(second.ok()) << second.status();
    second_ = *std::move(second);
    file_ = dir_.path() + "/1GiB.bin";
    sha256_ = WriteTestFile(file_);
  }

  // Runs the put again against the second gateway, and checks the object it completes.
  void ContinueAndCheck(const std::string& key, int64_t persisted_before) {
    const std::string log = dir_.path() + "/second.log";
    const int status = Wait(StartPut(second_->gateway().address(), file_, key, cache(), log));
    const std::string output = ReadFile(log);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
    EXPECT_THAT(output, HasSubstr("resuming the upload of " + key)) << output;
    EXPECT_THAT(output, HasSubstr(absl::StrCat("uploaded ", key, ": ", kObjectBytes,
                                               " bytes, sha256 ", sha256_)));
    std::fprintf(stderr, "%s: %s", DialectName(GetParam()).c_str(), output.c_str());
    grpc::Status download;
    EXPECT_EQ(DownloadSha256(*second_, key, download), sha256_);
    EXPECT_TRUE(download.ok()) << download.error_message();
    EXPECT_TRUE(UploadIdIn(cache()).empty()) << "the state file outlived the upload";
    // No part stored twice: the parts before the break were not sent again.
    const int64_t puts = SuccessfulPuts(*first_) + SuccessfulPuts(*second_);
    std::fprintf(stderr,
                 "%s: persisted %lld of %lld bytes at the break; %lld part PUTs for %lld parts\n",
                 DialectName(GetParam()).c_str(), static_cast<long long>(persisted_before),
                 static_cast<long long>(kObjectBytes), static_cast<long long>(puts),
                 static_cast<long long>(kParts));
    EXPECT_LE(puts, kParts);
    EXPECT_GE(puts, kParts - 1);
  }

  std::string cache() const { return dir_.path() + "/cache"; }

  TempDir dir_;
  std::unique_ptr<GatewayHarness> first_;
  std::unique_ptr<GatewayHarness> second_;
  std::string file_;
  std::string sha256_;
};

TEST_P(GatewayResumableKillTest, CallerKilledMidwayContinuesThroughAnotherGateway) {
  const std::string key = "resumed/caller-killed.bin";
  const pid_t put =
      StartPut(first_->gateway().address(), file_, key, cache(), dir_.path() + "/first.log");
  const std::string upload_id = WaitForParts(*first_, cache(), 3);
  ASSERT_FALSE(upload_id.empty()) << ReadFile(dir_.path() + "/first.log");
  kill(put, SIGINT);  // Ctrl-C
  const int status = Wait(put);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the upload finished before it could be interrupted";
  const int64_t persisted = Persisted(*second_, upload_id);
  ASSERT_GE(persisted, 3 * kPartBytes);
  ASSERT_LT(persisted, kObjectBytes);
  grpc::Status download;
  DownloadSha256(*first_, key, download);
  EXPECT_EQ(download.error_code(), grpc::StatusCode::NOT_FOUND) << "visible before completion";
  ContinueAndCheck(key, persisted);
}

TEST_P(GatewayResumableKillTest, GatewayKilledMidwayContinuesThroughAnotherGateway) {
  const std::string key = "resumed/gateway-killed.bin";
  const std::string log = dir_.path() + "/first.log";
  const pid_t put = StartPut(first_->gateway().address(), file_, key, cache(), log);
  const std::string upload_id = WaitForParts(*first_, cache(), 3);
  ASSERT_FALSE(upload_id.empty()) << ReadFile(log);
  const int64_t puts_before_kill = SuccessfulPuts(*first_);
  ASSERT_TRUE(first_->gateway().Stop(SIGKILL).ok());
  const int status = Wait(put);
  ASSERT_TRUE(WIFEXITED(status)) << ReadFile(log);
  EXPECT_EQ(WEXITSTATUS(status), 7) << ReadFile(log);  // unavailable: try again
  const int64_t persisted = Persisted(*second_, upload_id);
  ASSERT_GE(persisted, 3 * kPartBytes);
  ASSERT_LT(persisted, kObjectBytes);
  grpc::Status download;
  DownloadSha256(*second_, key, download);
  EXPECT_EQ(download.error_code(), grpc::StatusCode::NOT_FOUND) << "visible before completion";

  const std::string second_log = dir_.path() + "/second.log";
  const int continued =
      Wait(StartPut(second_->gateway().address(), file_, key, cache(), second_log));
  const std::string output = ReadFile(second_log);
  ASSERT_TRUE(WIFEXITED(continued) && WEXITSTATUS(continued) == 0) << output;
  EXPECT_THAT(output, HasSubstr("resuming the upload of " + key));
  std::fprintf(stderr, "%s: %s", DialectName(GetParam()).c_str(), output.c_str());
  EXPECT_EQ(DownloadSha256(*second_, key, download), sha256_);
  EXPECT_TRUE(download.ok()) << download.error_message();
  // The killed gateway's metrics died with it: count its parts from the store instead.
  const int64_t puts = puts_before_kill + SuccessfulPuts(*second_);
  std::fprintf(
      stderr,
      "%s: persisted %lld bytes when the gateway was killed; %lld part PUTs seen for %lld parts\n",
      DialectName(GetParam()).c_str(), static_cast<long long>(persisted),
      static_cast<long long>(puts), static_cast<long long>(kParts));
  EXPECT_LE(SuccessfulPuts(*second_), kParts - persisted / kPartBytes);
}

INSTANTIATE_TEST_SUITE_P(Dialects, GatewayResumableKillTest, kBothDialects, DialectTestName);

}  // namespace
}  // namespace objgate::test_support
