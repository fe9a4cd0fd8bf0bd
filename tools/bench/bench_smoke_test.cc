// Runs objgate_bench in quick mode and checks the JSON it writes is complete. Figures are
// only checked to be there: how fast anything is, is not a test's business.

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/local_s3.h"
#include "tests/support/subprocess.h"

namespace objgate::bench {
namespace {

using ::nlohmann::json;
using test_support::Subprocess;
using test_support::SubprocessOptions;

// objgate_bench's tenant, under whose prefix its S3 objects live.
constexpr char kBenchTenant[] = "550e8400-e29b-41d4-a716-446655440000";

void ExpectNumbers(const json& object, std::initializer_list<const char*> fields) {
  for (const char* field : fields) {
    EXPECT_TRUE(object.contains(field) && object[field].is_number())
        << field << " in " << object.dump();
  }
}

TEST(BenchSmokeTest, QuickRunWritesEveryScenario) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const std::string json_path = tmp + "/bench-results.json";
  SubprocessOptions options;
  options.binary = "tools/bench/objgate_bench";
  options.args = {"--quick", "--work_dir=" + tmp, "--json_out=" + json_path};
  options.ready_pattern = "results written to (\\S+)";
  options.ready_timeout = absl::Minutes(4);
  absl::StatusOr<std::unique_ptr<Subprocess>> bench = Subprocess::Start(options);
  ASSERT_TRUE(bench.ok()) << bench.status();
  // Signal 0 sends nothing: Stop then only waits for the bench to exit by itself.
  absl::StatusOr<int> exit = (*bench)->Stop(/*signal=*/0, absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << "wait status " << *exit;

  std::ifstream file(json_path);
  const json results = json::parse(file, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(results.is_discarded()) << json_path << " is not JSON";
  EXPECT_EQ(results["mode"], "quick");

  ASSERT_EQ(results["large"].size(), 4u);  // up and down, 1 and 4 streams
  for (const json& row : results["large"]) {
    ExpectNumbers(row["gateway"], {"mb_per_s", "bytes", "seconds", "cpu_seconds"});
    ExpectNumbers(row["direct"], {"mb_per_s", "bytes", "seconds"});
    ExpectNumbers(row, {"ratio", "gateway_cpu_seconds_per_gib"});
    // The same load through nginx in front of the store and against the gRPC ceiling.
    for (const char* reference : {"nginx", "grpc_ceiling"}) {
      ExpectNumbers(row["references"][reference], {"mb_per_s", "bytes", "seconds"});
      ExpectNumbers(row["ratio_to"], {reference});
      EXPECT_GT(row["references"][reference]["bytes"].get<double>(), 0) << reference;
    }
    // The ceiling is one process, whose CPU is measured; nginx's workers are not.
    ExpectNumbers(row["references"]["grpc_ceiling"], {"cpu_seconds_per_gib"});
    EXPECT_FALSE(row["references"]["nginx"].contains("cpu_seconds_per_gib"));
    // The upstream floors serve small objects only.
    EXPECT_FALSE(row["references"].contains("floor_multi")) << row.dump();
    EXPECT_FALSE(row["references"].contains("floor_thread")) << row.dump();
  }
  // Up, down, info and the no-op floor at 1, 16 and 64.
  ASSERT_EQ(results["small"].size(), 12u);
  int no_op_rows = 0;
  for (const json& row : results["small"]) {
    if (row["operation"] == "no-op") ++no_op_rows;
    for (const char* path : {"gateway", "direct"}) {
      ExpectNumbers(row[path], {"ops_per_s", "ops", "p50_ms", "p99_ms", "p999_ms"});
    }
    ExpectNumbers(row["ratio"], {"ops_per_s", "p50_ms", "p99_ms", "p999_ms"});
    ExpectNumbers(row, {"added_p50_ms", "gateway_cpu_seconds_per_10k_ops"});
    // Uploads and downloads also ran against the gRPC ceiling and the two upstream floors
    // (the store's exchange and nothing else, on libcurl's multi interface and on a thread
    // each), with each one's CPU per call.
    if (row["object_bytes"].get<int64_t>() == 0) {
      EXPECT_FALSE(row.contains("references")) << row.dump();
      continue;
    }
    for (const char* reference : {"grpc_ceiling", "floor_multi", "floor_thread"}) {
      const json& figures = row["references"][reference];
      ExpectNumbers(figures,
                    {"ops_per_s", "ops", "p50_ms", "cpu_seconds", "cpu_seconds_per_10k_ops"});
      EXPECT_GT(figures["ops"].get<int64_t>(), 0) << reference << ": " << row.dump();
      EXPECT_GT(figures["cpu_seconds"].get<double>(), 0) << reference << ": " << row.dump();
      ExpectNumbers(row["ratio_to"][reference], {"ops_per_s", "cpu_seconds_per_10k_ops"});
    }
    EXPECT_FALSE(row["references"].contains("nginx")) << row.dump();
  }
  EXPECT_EQ(no_op_rows, 3);
  ExpectNumbers(results["cost"],
                {"gateway_cpu_seconds_per_gib", "gateway_cpu_seconds_per_10k_small_ops"});
  ASSERT_EQ(results["memory"].size(), 4u);  // two sizes each way
  for (const json& row : results["memory"]) {
    ExpectNumbers(row,
                  {"object_bytes", "idle_rss_bytes", "peak_rss_bytes", "peak_above_idle_bytes"});
  }
  EXPECT_EQ(results["connections"]["ops"], 1000);
  ExpectNumbers(results["connections"], {"opened_during_run", "pool_size"});
  ExpectNumbers(results["environment"], {"cpus", "load_average_before"});
}

// The S3 dialect against the local RGW of tools/test.sh: the gateway on S3 and the direct
// path's signed requests both work, and the bench leaves the bucket as it found it.
TEST(BenchSmokeTest, QuickS3RunComparesLargeAndSmallAndLeavesNoObject) {
  OBJGATE_NEED_LOCAL_S3(s3);
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const std::string json_path = tmp + "/bench-results-s3.json";
  SubprocessOptions options;
  options.binary = "tools/bench/objgate_bench";
  // 16 MiB objects still take the gateway's multipart path (8 MiB parts); the shared RGW
  // keeps deleted data for hours, so the run writes little.
  options.args = {"--quick",
                  "--large_mib=16",
                  "--small_concurrency=1,4",
                  "--upstream_dialect=s3",
                  "--upstream=" + s3.endpoint,
                  "--s3_bucket=" + s3.bucket,
                  "--s3_region=" + s3.region,
                  "--work_dir=" + tmp,
                  "--json_out=" + json_path};
  options.env = {{"AWS_ACCESS_KEY_ID", s3.credentials.access_key_id},
                 {"AWS_SECRET_ACCESS_KEY", s3.credentials.secret_access_key}};
  options.ready_pattern = "results written to (\\S+)";
  options.ready_timeout = absl::Minutes(4);
  absl::StatusOr<std::unique_ptr<Subprocess>> bench = Subprocess::Start(options);
  ASSERT_TRUE(bench.ok()) << bench.status();
  absl::StatusOr<int> exit = (*bench)->Stop(/*signal=*/0, absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << "wait status " << *exit;

  std::ifstream file(json_path);
  const json results = json::parse(file, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(results.is_discarded()) << json_path << " is not JSON";
  EXPECT_EQ(results["environment"]["upstream_dialect"], "s3");
  EXPECT_FALSE(results.contains("memory"));
  ASSERT_EQ(results["large"].size(), 4u);
  for (const json& row : results["large"]) {
    ExpectNumbers(row["gateway"], {"mb_per_s", "bytes"});
    ExpectNumbers(row["direct"], {"mb_per_s", "bytes"});
    EXPECT_EQ(row["gateway"]["bytes"], row["direct"]["bytes"]) << row.dump();
  }
  ASSERT_EQ(results["small"].size(), 8u);  // four operations at 1 and 4
  for (const json& row : results["small"]) {
    EXPECT_GT(row["direct"]["ops"].get<int64_t>(), 0) << row.dump();
  }

  absl::StatusOr<std::unique_ptr<test_support::S3TestClient>> client =
      test_support::S3TestClient::Create(s3);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<std::vector<std::string>> left =
      (*client)->ListKeys(s3.bucket, std::string(kBenchTenant) + "/bench-");
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_THAT(*left, ::testing::IsEmpty());
}

}  // namespace
}  // namespace objgate::bench
