// objgate_bench: the gateway against its upstream, end to end on loopback. Starts a
// reference store (unless --upstream) and gateways of its own, runs every scenario through
// the gateway and directly against the store (a REST store, or an S3 bucket with
// --upstream_dialect=s3), prints tables and writes a JSON file.
// tools/bench/run_bench.sh builds and runs it, and starts a local RGW for --upstream=s3.

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/upstream/s3_request.h"
#include "server/upstream/sigv4.h"
#include "tests/support/subprocess.h"
#include "tools/bench/object_clients.h"
#include "tools/bench/reference_servers.h"
#include "tools/bench/report.h"
#include "tools/bench/scenarios.h"

ABSL_FLAG(bool, quick, false,
          "Small objects and short runs (64 MiB, 0.5 s, 1,000 operations): a smoke test "
          "that finishes in well under a minute. The full plan takes several minutes.");
ABSL_FLAG(std::vector<std::string>, scenarios, {},
          "Scenarios to run, comma separated, of large, small, memory and connections; "
          "all when empty, large and small with --upstream_dialect=s3.");
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
          "empty starts a reference store with its data under --work_dir. With "
          "--upstream_dialect=s3, the S3 endpoint (http://HOST:PORT), required; "
          "run_bench.sh --upstream=s3 starts a local Ceph RGW and sets it.");
ABSL_FLAG(std::string, upstream_dialect, "rest",
          "What --upstream speaks: rest, or s3, where the gateway runs with "
          "--upstream_dialect=s3 and the direct path sends S3 requests signed with SigV4 "
          "(PutObject, GetObject, ListObjectsV2, DeleteObject) with libcurl. S3 credentials "
          "come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, which "
          "the gateways inherit.");
ABSL_FLAG(std::string, s3_bucket, "",
          "With --upstream_dialect=s3: the bucket, which must exist; the objects go under "
          "the bench tenant's prefix and are deleted at the end.");
ABSL_FLAG(std::string, s3_region, "us-east-1",
          "With --upstream_dialect=s3: the region the requests are signed for.");
ABSL_FLAG(std::string, upstream_kind, "",
          "What --upstream is, for the report (\"external\" when empty); run_bench.sh "
          "--upstream=s3 names the local RGW.");
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
ABSL_FLAG(std::vector<std::string>, references,
          std::vector<std::string>({"nginx", "grpc_ceiling", "floor_multi", "floor_thread"}),
          "What the large-object scenario also measures, in the same rounds, comma separated: "
          "nginx (an HTTP reverse proxy in front of the store; REST only, skipped when "
          "--nginx_binary is missing), grpc_ceiling (a gRPC server of the gateway's API "
          "streaming from memory), and, for the small-object rows only, floor_multi and "
          "floor_thread (the gateway's small uploads and downloads as one exchange each with "
          "the REST store and nothing else, on libcurl's multi interface or on a thread "
          "each). Empty for none.");
ABSL_FLAG(std::string, nginx_binary, "/usr/sbin/nginx", "nginx, for --references=nginx.");
ABSL_FLAG(std::string, grpc_ceiling_binary, "tools/bench/grpc_ceiling",
          "The gRPC ceiling server; relative paths are runfiles paths.");
ABSL_FLAG(std::string, upstream_floor_binary, "tools/bench/upstream_floor",
          "The upstream floor server; relative paths are runfiles paths.");
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

// The S3 bucket of --upstream, --s3_bucket and --s3_region, with the credentials of the
// environment: what the direct path needs, checked before anything starts.
absl::StatusOr<S3Target> S3TargetFromFlags() {
  if (absl::GetFlag(FLAGS_upstream).empty() || absl::GetFlag(FLAGS_s3_bucket).empty()) {
    return absl::InvalidArgumentError(
        "--upstream_dialect=s3 needs --upstream (the S3 endpoint) and --s3_bucket; "
        "tools/bench/run_bench.sh --upstream=s3 starts a local RGW for them");
  }
  absl::StatusOr<S3Endpoint> endpoint = ParseS3Endpoint(absl::GetFlag(FLAGS_upstream));
  if (!endpoint.ok()) return endpoint.status();
  endpoint->region = absl::GetFlag(FLAGS_s3_region);
  S3Target target{*std::move(endpoint), absl::GetFlag(FLAGS_s3_bucket), {}};
  const auto variable = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : "");
  };
  target.credentials.access_key_id = variable("AWS_ACCESS_KEY_ID");
  target.credentials.secret_access_key = variable("AWS_SECRET_ACCESS_KEY");
  target.credentials.session_token = variable("AWS_SESSION_TOKEN");
  if (target.credentials.access_key_id.empty() || target.credentials.secret_access_key.empty()) {
    return absl::InvalidArgumentError(
        "--upstream_dialect=s3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the "
        "environment, for the direct path and the gateways");
  }
  return target;
}

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
  const std::string dialect = absl::GetFlag(FLAGS_upstream_dialect);
  if (dialect == "s3") {
    if (absl::GetFlag(FLAGS_scenarios).empty()) plan.scenarios = {"large", "small"};
    absl::StatusOr<S3Target> s3 = S3TargetFromFlags();
    if (!s3.ok()) {
      std::cerr << "objgate_bench: " << s3.status().message() << "\n";
      return 2;
    }
    env.upstream_flags = {"--upstream_dialect=s3", "--s3_bucket=" + s3->bucket,
                          "--s3_region=" + s3->endpoint.region};
    env.direct_clients = [s3 = *s3, tenant = env.tenant] { return NewS3DirectClient(s3, tenant); };
    env.delete_before_upload = true;
  } else if (dialect != "rest") {
    std::cerr << "objgate_bench: --upstream_dialect is rest or s3, not \"" << dialect << "\"\n";
    return 2;
  }
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
  if (!env.direct_clients) {
    env.direct_clients = [url = env.upstream_url, tenant = env.tenant] {
      return NewDirectClient(url, tenant);
    };
  }

  std::vector<std::unique_ptr<ReferenceServer>> reference_servers;
  for (const std::string& reference : absl::GetFlag(FLAGS_references)) {
    absl::StatusOr<std::unique_ptr<ReferenceServer>> server;
    if (reference == "nginx") {
      const std::string nginx = absl::GetFlag(FLAGS_nginx_binary);
      if (dialect != "rest" || access(nginx.c_str(), X_OK) != 0) {
        std::cerr << "objgate_bench: no nginx row (" << nginx
                  << (dialect != "rest" ? " fronts REST stores only)\n" : " is missing)\n");
        continue;
      }
      const std::string dir = absl::StrCat(scratch.path(), "/nginx");
      std::filesystem::create_directories(dir);
      server = StartNginxProxy(nginx, env.upstream_url, dir);
      if (server.ok()) {
        env.references.push_back({reference, [url = (*server)->address(), tenant = env.tenant] {
                                    return NewDirectClient(url, tenant);
                                  }});
      }
    } else if (reference == "grpc_ceiling") {
      server =
          StartGrpcCeiling(test_support::RunfilePath(absl::GetFlag(FLAGS_grpc_ceiling_binary)));
      if (server.ok()) {
        env.references.push_back({reference,
                                  [target = (*server)->address(), tenant = env.tenant] {
                                    return NewGatewayClient(target, tenant);
                                  },
                                  /*uses_upstream=*/false, (*server)->pid()});
      }
    } else if (reference == "floor_multi" || reference == "floor_thread") {
      if (dialect != "rest") {
        std::cerr << "objgate_bench: no " << reference << " rows (it speaks the REST dialect)\n";
        continue;
      }
      server =
          StartUpstreamFloor(test_support::RunfilePath(absl::GetFlag(FLAGS_upstream_floor_binary)),
                             env.upstream_url, reference == "floor_multi" ? "multi" : "blocking");
      if (server.ok()) {
        Reference floor{reference,
                        [target = (*server)->address(), tenant = env.tenant] {
                          return NewGatewayClient(target, tenant);
                        },
                        /*uses_upstream=*/true, (*server)->pid()};
        floor.large_objects = false;
        env.references.push_back(std::move(floor));
      }
    } else {
      std::cerr << "objgate_bench: --references takes nginx, grpc_ceiling, floor_multi and "
                   "floor_thread, not \""
                << reference << "\"\n";
      return 2;
    }
    if (!server.ok()) {
      std::cerr << "objgate_bench: " << reference << ": " << server.status() << "\n";
      return 1;
    }
    reference_servers.push_back(*std::move(server));
  }

  const double load_before = LoadAverage();
  absl::StatusOr<nlohmann::json> results = RunScenarios(plan, env);
  if (!results.ok()) {
    std::cerr << "objgate_bench: " << results.status() << "\n";
    return 1;
  }
  std::string upstream_kind = absl::GetFlag(FLAGS_upstream_kind);
  if (refstore != nullptr) {
    upstream_kind = "refstore, data on " + absl::GetFlag(FLAGS_work_dir);
  } else if (upstream_kind.empty()) {
    upstream_kind = "external";
  }
  if (dialect == "s3") {
    absl::StrAppend(&upstream_kind, ", S3 bucket ", absl::GetFlag(FLAGS_s3_bucket));
  }
  (*results)["environment"] = {{"upstream", env.upstream_url},
                               {"upstream_dialect", dialect},
                               {"upstream_kind", upstream_kind},
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
      "  objgate_bench [--quick] [--upstream=http://HOST:PORT] [--json_out=FILE]\n"
      "  objgate_bench --upstream_dialect=s3 --upstream=http://HOST:PORT --s3_bucket=NAME\n"
      "      with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set;\n"
      "      tools/bench/run_bench.sh --upstream=s3 does this against a local Ceph RGW");
  // --help lists the flags of this file: Abseil's default looks for a file named after
  // the binary, which objgate_bench has not.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "tools/bench/");
  };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  return objgate::bench::Run();
}
