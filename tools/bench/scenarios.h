#ifndef OBJGATE_TOOLS_BENCH_SCENARIOS_H_
#define OBJGATE_TOOLS_BENCH_SCENARIOS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/support/subprocess.h"
#include "tools/bench/load.h"

namespace objgate::bench {

// What the benchmark runs; Full() is the plan, Quick() a smoke-test sized one.
struct Plan {
  static Plan Full();
  static Plan Quick();

  std::string mode;
  // The scenarios to run, of "large", "small", "memory" and "connections".
  std::vector<std::string> scenarios = {"large", "small", "memory", "connections"};
  // Each gateway/direct comparison runs this many rounds, in the order G D, D G, G D, ...
  int rounds = 2;
  int64_t large_bytes = int64_t{1} << 30;
  std::vector<int> large_streams = {1, 4};
  int64_t small_bytes = 4096;
  std::vector<int> small_concurrency = {1, 16, 64};
  absl::Duration small_duration = absl::Seconds(5);
  int memory_streams = 8;
  std::vector<int64_t> memory_download_bytes;
  std::vector<int64_t> memory_upload_bytes;
  int64_t connection_ops = 10000;
  int connection_concurrency = 64;
};

// A path measured alongside the gateway and the direct one.
struct Reference {
  std::string name;
  ClientFactory clients;
  // Its calls reach the upstream (nginx's do; the gRPC ceiling keeps nothing there), so
  // that what runs before each turn on the upstream's objects runs before its turn too.
  bool uses_upstream = true;
  // The one process that serves it, for its CPU; 0 when there is no single one (nginx's
  // workers). A reference with a process is measured in the small-object scenario too,
  // for its uploads and downloads, so that the gateway's CPU per call has a floor beside
  // it: the gRPC ceiling's is what the gateway's calls cost gRPC with nothing behind them.
  pid_t pid = 0;
  // It serves large objects too (the upstream floors hold an object whole in memory, so
  // they serve the small-object rows only).
  bool large_objects = true;
};

// Where the processes come from and where they keep their files.
struct Environment {
  std::string gateway_binary;
  std::vector<std::string> gateway_flags;
  // The upstream both paths use, and the reference store serving it when the bench
  // started one (null for --upstream).
  std::string upstream_url;
  test_support::Subprocess* refstore = nullptr;
  // The gateway's flags for the upstream's dialect besides --upstream, e.g.
  // {"--upstream_dialect=s3", "--s3_bucket=objgate"}; none for the REST default.
  std::vector<std::string> upstream_flags;
  // Opens a direct connection to the upstream: the direct side of every comparison, and
  // how the bench puts and removes the objects that scenarios need.
  ClientFactory direct_clients;
  // Delete the large objects before each run uploads them again: an S3 store such as RGW
  // keeps an overwritten object's data until its garbage collection, so that overwriting
  // them would hold two copies of each.
  bool delete_before_upload = false;
  // Other paths the large-object scenario measures in the same rounds: "nginx", an HTTP
  // reverse proxy in front of the store (REST only), and "grpc_ceiling", a gRPC server of
  // the gateway's API that streams from memory: what the transport allows. The small-object
  // scenario measures those with a `pid`, among them "floor_multi" and "floor_thread", the
  // least a gateway of the REST store costs with and without a thread per call.
  std::vector<Reference> references;
  // Gateway logs go here.
  std::string work_dir;
  std::string tenant;
};

// Runs every scenario of `plan` through a gateway of its own and directly against the
// upstream, and returns the figures as the JSON document that report.h prints.
absl::StatusOr<nlohmann::json> RunScenarios(const Plan& plan, const Environment& env);

}  // namespace objgate::bench

#endif  // OBJGATE_TOOLS_BENCH_SCENARIOS_H_
