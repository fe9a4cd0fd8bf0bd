// objgate_bench: the gateway against its upstream, end to end on loopback. Starts a
// reference store (unless --upstream) and gateways of its own, runs every scenario through
// the gateway and directly against the store, prints tables and writes a JSON file.
// tools/bench/run_bench.sh builds and runs it.

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"
#include "tools/bench/report.h"
#include "tools/bench/scenarios.h"

ABSL_FLAG(bool, quick, false,
          "Small objects and short runs (64 MiB, 0.5 s, 1,000 operations): a smoke test "
          "that finishes in well under a minute. The full plan takes several minutes.");
ABSL_FLAG(std::vector<std::string>, scenarios, {},
          "Scenarios to run, comma separated, of large, small, memory and connections; "
          "all when empty.");
ABSL_FLAG(std::optional<int>, rounds, std::nullopt,
          "Rounds of each gateway/direct comparison (the plan's when unset).");
ABSL_FLAG(std::optional<std::vector<std::string>>, small_concurrency, std::nullopt,
          "Concurrencies of the small-object scenario, comma separated (1,16,64 when unset).");
ABSL_FLAG(std::optional<absl::Duration>, small_duration, std::nullopt,
          "How long each small-object run lasts (5s, or 0.5s with --quick, when unset); "
          "long runs leave time to attach a profiler.");
ABSL_FLAG(std::optional<int64_t>, large_mib, std::nullopt,
          "Size of each large object in MiB (1024, or 64 with --quick, when unset).");
ABSL_FLAG(std::optional<std::vector<std::string>>, large_streams, std::nullopt,
          "Concurrent streams of the large-object scenario, comma separated (1,4 when unset).");
ABSL_FLAG(std::string, upstream, "",
          "Base URL of a REST store of the dialect (http://HOST:PORT) to measure against; "
          "empty starts a reference store with its data under --work_dir.");
ABSL_FLAG(std::string, work_dir, "/dev/shm",
          "Where a temporary directory for the reference store's objects and the gateways' "
          "access logs is made. The default is tmpfs, so that the store's fsync and the "
          "disk do not hide the gateway's costs; the full plan needs about 9 GiB there.");
ABSL_FLAG(std::vector<std::string>, gateway_flags, {},
          "Extra flags for every gateway started, comma separated, e.g. "
          "--gateway_flags=--download_chunk_bytes=1048576,--access_log=false.");
ABSL_FLAG(std::string, json_out, "bench-results.json", "Where the results are written.");
ABSL_FLAG(std::string, gateway_binary, "server/gateway",
          "The gateway binary; relative paths are runfiles paths.");
ABSL_FLAG(std::string, refstore_binary, "tools/refstore/refstore",
          "The reference store binary; relative paths are runfiles paths.");

namespace objgate::bench {
namespace {

constexpr char kTenant[] = "550e8400-e29b-41d4-a716-446655440000";

double LoadAverage() {
  std::ifstream file("/proc/loadavg");
  double one_minute = 0;
  file >> one_minute;
  return one_minute;
}

// A directory made for this run and removed with everything in it.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& parent) {
    std::string pattern = absl::StrCat(parent, "/objgate-bench-XXXXXX");
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Empty when it could not be made.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Replaces `counts` with the flag's list when the flag was given; false if an entry is not
// a positive number.
bool ParseCounts(const std::optional<std::vector<std::string>>& flag, std::vector<int>& counts) {
  if (!flag) return true;
  std::vector<int> parsed;
  for (const std::string& entry : *flag) {
    int count = 0;
    if (!absl::SimpleAtoi(entry, &count) || count < 1) return false;
    parsed.push_back(count);
  }
  if (parsed.empty()) return false;
  counts = std::move(parsed);
  return true;
}

int Run() {
  Plan plan = absl::GetFlag(FLAGS_quick) ? Plan::Quick() : Plan::Full();
  if (!absl::GetFlag(FLAGS_scenarios).empty()) plan.scenarios = absl::GetFlag(FLAGS_scenarios);
  if (absl::GetFlag(FLAGS_rounds)) plan.rounds = *absl::GetFlag(FLAGS_rounds);
  if (absl::GetFlag(FLAGS_small_duration)) {
    plan.small_duration = *absl::GetFlag(FLAGS_small_duration);
  }
  if (absl::GetFlag(FLAGS_large_mib)) plan.large_bytes = *absl::GetFlag(FLAGS_large_mib) << 20;
  if (!ParseCounts(absl::GetFlag(FLAGS_small_concurrency), plan.small_concurrency) ||
      !ParseCounts(absl::GetFlag(FLAGS_large_streams), plan.large_streams) || plan.rounds < 1 ||
      plan.large_bytes < 1) {
    std::cerr << "objgate_bench: --rounds, --small_concurrency, --large_streams and "
                 "--large_mib take positive whole numbers\n";
    return 2;
  }
  ScratchDir scratch(absl::GetFlag(FLAGS_work_dir));
  if (scratch.path().empty()) {
    std::cerr << "objgate_bench: cannot make a directory in " << absl::GetFlag(FLAGS_work_dir)
              << "\n";
    return 1;
  }
  Environment env;
  env.gateway_binary = absl::GetFlag(FLAGS_gateway_binary);
  env.gateway_flags = absl::GetFlag(FLAGS_gateway_flags);
  env.work_dir = scratch.path();
  env.tenant = kTenant;
  env.upstream_url = absl::GetFlag(FLAGS_upstream);
  std::unique_ptr<test_support::Subprocess> refstore;
  if (env.upstream_url.empty()) {
    const std::string data_dir = absl::StrCat(scratch.path(), "/refstore");
    test_support::SubprocessOptions options;
    options.binary = absl::GetFlag(FLAGS_refstore_binary);
    options.args = {"--listen=127.0.0.1:0", "--data_dir=" + data_dir};
    absl::StatusOr<std::unique_ptr<test_support::Subprocess>> started =
        test_support::Subprocess::Start(options);
    if (!started.ok()) {
      std::cerr << "objgate_bench: reference store: " << started.status() << "\n";
      return 1;
    }
    refstore = *std::move(started);
    env.upstream_url = refstore->address();
  }

  const double load_before = LoadAverage();
  absl::StatusOr<nlohmann::json> results = RunScenarios(plan, env);
  if (!results.ok()) {
    std::cerr << "objgate_bench: " << results.status() << "\n";
    return 1;
  }
  (*results)["environment"] = {
      {"upstream", env.upstream_url},
      {"upstream_kind", refstore != nullptr ? "refstore, data on " + absl::GetFlag(FLAGS_work_dir)
                                            : "external"},
      {"gateway_flags", env.gateway_flags},
      {"cpus", static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))},
      {"load_average_before", load_before},
      {"load_average_after", LoadAverage()}};
  PrintReport(*results, stdout);

  const std::string json_out = absl::GetFlag(FLAGS_json_out);
  std::ofstream out(json_out);
  out << results->dump(2) << "\n";
  out.close();
  if (!out) {
    std::cerr << "objgate_bench: cannot write " << json_out << "\n";
    return 1;
  }
  std::cout << "\nresults written to " << json_out << std::endl;
  return 0;
}

}  // namespace
}  // namespace objgate::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures the objgate gateway against direct access to its upstream.\n"
      "  objgate_bench [--quick] [--upstream=http://HOST:PORT] [--json_out=FILE]");
  absl::ParseCommandLine(argc, argv);
  return objgate::bench::Run();
}
