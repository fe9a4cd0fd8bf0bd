#include "tools/bench/scenarios.h"

#include <algorithm>
#include <functional>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/process_stats.h"
#include "tools/bench/counting_proxy.h"
#include "tools/bench/load.h"
#include "tools/bench/object_clients.h"

namespace objgate::bench {
namespace {

using ::nlohmann::json;
using test_support::CpuSeconds;
using test_support::MemoryBytes;
using test_support::Subprocess;

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;
// The gateway's default --pool_size, the most upstream connections it should open.
constexpr int kGatewayPoolSize = 64;

// Scenarios take seconds to minutes each; say which one runs.
void Progress(absl::string_view label) { std::cerr << "objgate_bench: " << label << std::endl; }

std::string Size(int64_t bytes) {
  if (bytes % kGiB == 0) return absl::StrCat(bytes / kGiB, " GiB");
  if (bytes % kMiB == 0) return absl::StrCat(bytes / kMiB, " MiB");
  return absl::StrCat(bytes / 1024, " KiB");
}

double Ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0;
}

// One path's runs of a scenario, summed over the rounds.
struct PathTotals {
  LoadResult load;
  // CPU of the process that served the path: the gateway's, or a reference's with a pid.
  double server_cpu_seconds = 0;

  void Add(LoadResult&& run) {
    load.ops += run.ops;
    load.bytes += run.bytes;
    load.elapsed += run.elapsed;
    load.latencies_us.insert(load.latencies_us.end(), run.latencies_us.begin(),
                             run.latencies_us.end());
  }
  double seconds() const { return absl::ToDoubleSeconds(load.elapsed); }
};

class Runner {
 public:
  Runner(const Plan& plan, const Environment& env) : plan_(plan), env_(env) {}

  absl::StatusOr<json> Run() {
    json results = {{"mode", plan_.mode}, {"rounds", plan_.rounds}};
    if (Runs("large") || Runs("small")) {
      absl::StatusOr<std::unique_ptr<Subprocess>> gateway = StartGateway(env_.upstream_url);
      if (!gateway.ok()) return gateway.status();
      if (Runs("large")) {
        if (absl::Status s = Large(**gateway, results["large"]); !s.ok()) return s;
      }
      if (Runs("small")) {
        if (absl::Status s = Small(**gateway, results["small"]); !s.ok()) return s;
      }
      results["cost"] = Cost(results);
    }
    if (Runs("memory")) {
      if (absl::Status s = Memory(results["memory"]); !s.ok()) return s;
    }
    if (Runs("connections")) {
      if (absl::Status s = Connections(results["connections"]); !s.ok()) return s;
    }
    return results;
  }

 private:
  bool Runs(absl::string_view scenario) const {
    return std::find(plan_.scenarios.begin(), plan_.scenarios.end(), scenario) !=
           plan_.scenarios.end();
  }

  absl::StatusOr<std::unique_ptr<Subprocess>> StartGateway(const std::string& upstream_url) {
    test_support::SubprocessOptions options;
    // Through a shell that execs the gateway (same pid) so that its access log, on by
    // default, goes to a file instead of the bench's terminal.
    options.binary = "/bin/sh";
    options.args = {"-c", "exec \"$0\" \"$@\" 2>>\"$OBJGATE_BENCH_GATEWAY_LOG\"",
                    test_support::RunfilePath(env_.gateway_binary), "--listen=127.0.0.1:0",
                    absl::StrCat("--upstream=", upstream_url)};
    options.args.insert(options.args.end(), env_.upstream_flags.begin(), env_.upstream_flags.end());
    options.args.insert(options.args.end(), env_.gateway_flags.begin(), env_.gateway_flags.end());
    options.env = {{"OBJGATE_BENCH_GATEWAY_LOG", absl::StrCat(env_.work_dir, "/gateway.log")}};
    return Subprocess::Start(options);
  }

  ClientFactory GatewayClients(const Subprocess& gateway) const {
    return [target = gateway.address(), tenant = env_.tenant] {
      return NewGatewayClient(target, tenant);
    };
  }

  // Runs the load on the gateway, directly and on each of `references`, in an order that
  // rotates by one each round, and returns their totals in that order (gateway first).
  // `before_each_run`, when set, runs before the turn of each path that uses the upstream,
  // off the clock.
  absl::StatusOr<std::vector<PathTotals>> Compare(
      absl::string_view label, const Subprocess& gateway, const LoadShape& shape,
      const Operation& operation, const std::function<absl::Status()>& before_each_run = {},
      const std::vector<Reference>& references = {}) {
    Progress(label);
    std::vector<Reference> paths = {{"gateway", GatewayClients(gateway)},
                                    {"direct", env_.direct_clients}};
    paths.insert(paths.end(), references.begin(), references.end());
    std::vector<PathTotals> totals(paths.size());
    for (int round = 0; round < plan_.rounds; ++round) {
      for (size_t turn = 0; turn < paths.size(); ++turn) {
        const size_t path = (turn + round) % paths.size();
        if (before_each_run && paths[path].uses_upstream) {
          if (absl::Status s = before_each_run(); !s.ok()) return s;
        }
        const pid_t server = path == 0 ? gateway.pid() : paths[path].pid;
        absl::StatusOr<double> cpu_before = server == 0 ? 0.0 : CpuSeconds(server);
        if (!cpu_before.ok()) return cpu_before.status();
        absl::StatusOr<LoadResult> run = RunLoad(paths[path].clients, shape, operation);
        if (!run.ok()) {
          return absl::Status(run.status().code(),
                              absl::StrCat(paths[path].name, ": ", run.status().message()));
        }
        absl::StatusOr<double> cpu_after = server == 0 ? 0.0 : CpuSeconds(server);
        if (!cpu_after.ok()) return cpu_after.status();
        totals[path].Add(*std::move(run));
        totals[path].server_cpu_seconds += *cpu_after - *cpu_before;
      }
    }
    return totals;
  }

  absl::Status Large(const Subprocess& gateway, json& rows) {
    rows = json::array();
    const int64_t size = plan_.large_bytes;
    const auto key = [](int worker) { return absl::StrCat("bench-large-", worker); };
    const Operation upload = [&](ObjectClient& client, int worker,
                                 int64_t) -> absl::StatusOr<int64_t> {
      if (absl::Status s = client.Upload(key(worker), size); !s.ok()) return s;
      return size;
    };
    const Operation download = [&](ObjectClient& client, int worker, int64_t) {
      return client.Download(key(worker));
    };
    std::vector<Reference> references;
    std::copy_if(env_.references.begin(), env_.references.end(), std::back_inserter(references),
                 [](const Reference& reference) { return reference.large_objects; });
    // Uploads first: they leave the objects the downloads read.
    const std::pair<const char*, const Operation*> phases[] = {{"upload", &upload},
                                                               {"download", &download}};
    for (const auto& [direction, operation] : phases) {
      for (int streams : plan_.large_streams) {
        std::function<absl::Status()> delete_objects;
        if (env_.delete_before_upload && operation == &upload) {
          delete_objects = [&] { return DeleteKeys(streams, key); };
        }
        auto totals = Compare(absl::StrCat(direction, " ", Size(size), " x", streams), gateway,
                              LoadShape{streams, streams}, *operation, delete_objects, references);
        if (!totals.ok()) return totals.status();
        const PathTotals& through_gateway = (*totals)[0];
        const PathTotals& direct = (*totals)[1];
        const double gateway_mbps = through_gateway.load.bytes / 1e6 / through_gateway.seconds();
        const double direct_mbps = direct.load.bytes / 1e6 / direct.seconds();
        rows.push_back({{"direction", direction},
                        {"streams", streams},
                        {"object_bytes", size},
                        {"gateway",
                         {{"mb_per_s", gateway_mbps},
                          {"bytes", through_gateway.load.bytes},
                          {"seconds", through_gateway.seconds()},
                          {"cpu_seconds", through_gateway.server_cpu_seconds}}},
                        {"direct",
                         {{"mb_per_s", direct_mbps},
                          {"bytes", direct.load.bytes},
                          {"seconds", direct.seconds()}}},
                        {"ratio", Ratio(gateway_mbps, direct_mbps)},
                        {"gateway_cpu_seconds_per_gib",
                         Ratio(through_gateway.server_cpu_seconds,
                               static_cast<double>(through_gateway.load.bytes) / kGiB)}});
        for (size_t i = 0; i < references.size(); ++i) {
          const PathTotals& reference = (*totals)[2 + i];
          const double mbps = reference.load.bytes / 1e6 / reference.seconds();
          const std::string& name = references[i].name;
          rows.back()["references"][name] = {{"mb_per_s", mbps},
                                             {"bytes", reference.load.bytes},
                                             {"seconds", reference.seconds()}};
          rows.back()["ratio_to"][name] = Ratio(gateway_mbps, mbps);
          if (references[i].pid != 0) {
            rows.back()["references"][name]["cpu_seconds_per_gib"] = Ratio(
                reference.server_cpu_seconds, static_cast<double>(reference.load.bytes) / kGiB);
          }
        }
      }
    }
    return DeleteKeys(*std::max_element(plan_.large_streams.begin(), plan_.large_streams.end()),
                      key);
  }

  absl::Status Small(const Subprocess& gateway, json& rows) {
    rows = json::array();
    const int64_t size = plan_.small_bytes;
    const auto key = [](int worker) { return absl::StrCat("bench-small-", worker); };
    const Operation upload = [&](ObjectClient& client, int worker,
                                 int64_t) -> absl::StatusOr<int64_t> {
      if (absl::Status s = client.Upload(key(worker), size); !s.ok()) return s;
      return size;
    };
    const Operation download = [&](ObjectClient& client, int worker, int64_t) {
      return client.Download(key(worker));
    };
    const auto summary = [](PathTotals& totals) {
      std::vector<double>& latencies = totals.load.latencies_us;
      return json{{"ops_per_s", totals.load.ops / totals.seconds()},
                  {"ops", totals.load.ops},
                  {"seconds", totals.seconds()},
                  {"p50_ms", Percentile(latencies, 0.50) / 1e3},
                  {"p99_ms", Percentile(latencies, 0.99) / 1e3},
                  {"p999_ms", Percentile(latencies, 0.999) / 1e3}};
    };
    // What the transport alone costs each path; the gap it leaves is the floor under the
    // gateway's small-object figures.
    const Operation ping = [](ObjectClient& client, int, int64_t) -> absl::StatusOr<int64_t> {
      if (absl::Status s = client.Ping(); !s.ok()) return s;
      return 0;
    };
    // A unary call that asks the store, without object bytes: GetServerInfo against GET /.
    const Operation info = [](ObjectClient& client, int, int64_t) -> absl::StatusOr<int64_t> {
      if (absl::Status s = client.Info(); !s.ok()) return s;
      return 0;
    };
    // The references with a process of their own serve uploads and downloads beside the
    // gateway (the gRPC ceiling: what those calls cost gRPC with nothing behind them).
    std::vector<Reference> references;
    std::copy_if(env_.references.begin(), env_.references.end(), std::back_inserter(references),
                 [](const Reference& reference) { return reference.pid != 0; });
    const auto per_10k = [](const PathTotals& totals) {
      return Ratio(totals.server_cpu_seconds * 1e4, totals.load.ops);
    };
    // At each concurrency the uploads write the keys the downloads then read.
    const std::pair<const char*, const Operation*> phases[] = {
        {"upload", &upload}, {"download", &download}, {"info", &info}, {"no-op", &ping}};
    for (int concurrency : plan_.small_concurrency) {
      for (const auto& [op, operation] : phases) {
        const LoadShape shape{concurrency, std::numeric_limits<int64_t>::max(),
                              plan_.small_duration};
        const bool carries_object = operation == &upload || operation == &download;
        const std::string what = carries_object ? absl::StrCat(op, " ", Size(size)) : op;
        auto totals =
            Compare(absl::StrCat(what, " at concurrency ", concurrency), gateway, shape, *operation,
                    {}, carries_object ? references : std::vector<Reference>{});
        if (!totals.ok()) return totals.status();
        PathTotals& through_gateway = (*totals)[0];
        PathTotals& direct = (*totals)[1];
        json row = {{"operation", op},
                    {"concurrency", concurrency},
                    {"object_bytes", carries_object ? size : 0},
                    {"gateway", summary(through_gateway)},
                    {"direct", summary(direct)}};
        row["gateway"]["cpu_seconds"] = through_gateway.server_cpu_seconds;
        for (const char* figure : {"ops_per_s", "p50_ms", "p99_ms", "p999_ms"}) {
          row["ratio"][figure] = Ratio(row["gateway"][figure], row["direct"][figure]);
        }
        row["added_p50_ms"] =
            row["gateway"]["p50_ms"].get<double>() - row["direct"]["p50_ms"].get<double>();
        row["gateway_cpu_seconds_per_10k_ops"] = per_10k(through_gateway);
        for (size_t i = 2; i < totals->size(); ++i) {
          PathTotals& reference = (*totals)[i];
          const std::string& name = references[i - 2].name;
          row["references"][name] = summary(reference);
          row["references"][name]["cpu_seconds"] = reference.server_cpu_seconds;
          row["references"][name]["cpu_seconds_per_10k_ops"] = per_10k(reference);
          row["ratio_to"][name] = {
              {"ops_per_s",
               Ratio(row["gateway"]["ops_per_s"], row["references"][name]["ops_per_s"])},
              {"cpu_seconds_per_10k_ops",
               Ratio(row["gateway_cpu_seconds_per_10k_ops"], per_10k(reference))}};
        }
        rows.push_back(std::move(row));
      }
    }
    return DeleteKeys(
        *std::max_element(plan_.small_concurrency.begin(), plan_.small_concurrency.end()), key);
  }

  static json Cost(const json& results) {
    double large_cpu = 0, large_bytes = 0, small_cpu = 0, small_ops = 0;
    for (const json& row : results.value("large", json::array())) {
      large_cpu += row["gateway"]["cpu_seconds"].get<double>();
      large_bytes += row["gateway"]["bytes"].get<double>();
    }
    for (const json& row : results.value("small", json::array())) {
      if (row["object_bytes"] == 0) continue;  // the cost of object operations
      small_cpu += row["gateway"]["cpu_seconds"].get<double>();
      small_ops += row["gateway"]["ops"].get<double>();
    }
    return {{"gateway_cpu_seconds_per_gib", Ratio(large_cpu, large_bytes / kGiB)},
            {"gateway_cpu_seconds_per_10k_small_ops", Ratio(small_cpu * 1e4, small_ops)}};
  }

  // Peak RSS of a fresh gateway during `memory_streams` concurrent transfers of each size,
  // against its RSS once started and serving a connected caller.
  absl::Status Memory(json& rows) {
    rows = json::array();
    for (bool downloads : {true, false}) {
      for (int64_t size : downloads ? plan_.memory_download_bytes : plan_.memory_upload_bytes) {
        absl::StatusOr<json> row = MemoryRow(downloads, size);
        if (!row.ok()) return row.status();
        rows.push_back(*std::move(row));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<json> MemoryRow(bool downloads, int64_t size) {
    Progress(absl::StrCat("memory: ", plan_.memory_streams, " ",
                          downloads ? "downloads" : "uploads", " of ", Size(size)));
    const std::string source = "bench-memory-source";
    const auto key = [](int worker) { return absl::StrCat("bench-memory-", worker); };
    std::unique_ptr<ObjectClient> direct = env_.direct_clients();
    if (downloads) {
      if (absl::Status s = direct->Upload(source, size); !s.ok()) return s;
    }
    absl::StatusOr<std::unique_ptr<Subprocess>> gateway = StartGateway(env_.upstream_url);
    if (!gateway.ok()) return gateway.status();
    const pid_t pid = (*gateway)->pid();
    const ClientFactory clients = GatewayClients(**gateway);
    if (absl::Status s = clients()->Connect(); !s.ok()) return s;
    absl::StatusOr<int64_t> idle = MemoryBytes(pid, "VmRSS");
    if (!idle.ok()) return idle.status();

    absl::StatusOr<LoadResult> run =
        RunLoad(clients, LoadShape{plan_.memory_streams, plan_.memory_streams},
                [&](ObjectClient& client, int worker, int64_t) -> absl::StatusOr<int64_t> {
                  if (downloads) return client.Download(source);
                  if (absl::Status s = client.Upload(key(worker), size); !s.ok()) return s;
                  return size;
                });
    if (!run.ok()) return run.status();
    // The gateway is fresh, so its peak since start is the peak of this load.
    absl::StatusOr<int64_t> peak = MemoryBytes(pid, "VmHWM");
    if (!peak.ok()) return peak.status();

    absl::Status cleaned =
        downloads ? direct->Delete(source) : DeleteKeys(plan_.memory_streams, key);
    if (!cleaned.ok()) return cleaned;
    return json{{"direction", downloads ? "download" : "upload"},
                {"streams", plan_.memory_streams},
                {"object_bytes", size},
                {"idle_rss_bytes", *idle},
                {"peak_rss_bytes", *peak},
                {"peak_above_idle_bytes", *peak - *idle},
                {"mb_per_s", run->bytes / 1e6 / absl::ToDoubleSeconds(run->elapsed)}};
  }

  // Upstream connections a fresh gateway opens during a run of small uploads and downloads,
  // counted by a proxy between the two.
  absl::Status Connections(json& row) {
    Progress(absl::StrCat("connections: ", plan_.connection_ops, " operations"));
    absl::StatusOr<std::unique_ptr<CountingProxy>> proxy = CountingProxy::Start(env_.upstream_url);
    if (!proxy.ok()) return proxy.status();
    absl::StatusOr<std::unique_ptr<Subprocess>> gateway = StartGateway((*proxy)->url());
    if (!gateway.ok()) return gateway.status();
    const int concurrency = plan_.connection_concurrency;
    const auto key = [](int worker) { return absl::StrCat("bench-connections-", worker); };
    std::unique_ptr<ObjectClient> setup = env_.direct_clients();
    for (int worker = 0; worker < concurrency; ++worker) {
      if (absl::Status s = setup->Upload(key(worker), plan_.small_bytes); !s.ok()) return s;
    }
    const int64_t before = (*proxy)->accepted();
    absl::StatusOr<LoadResult> run =
        RunLoad(GatewayClients(**gateway), LoadShape{concurrency, plan_.connection_ops},
                [&](ObjectClient& client, int worker, int64_t index) -> absl::StatusOr<int64_t> {
                  if (index % 2 == 1) return client.Download(key(worker));
                  if (absl::Status s = client.Upload(key(worker), plan_.small_bytes); !s.ok())
                    return s;
                  return plan_.small_bytes;
                });
    if (!run.ok()) return run.status();
    row = {{"ops", run->ops},
           {"concurrency", concurrency},
           {"opened_during_run", (*proxy)->accepted() - before},
           {"opened_since_start", (*proxy)->accepted()},
           {"pool_size", kGatewayPoolSize}};
    return DeleteKeys(concurrency, key);
  }

  template <typename KeyOf>
  absl::Status DeleteKeys(int count, const KeyOf& key) {
    std::unique_ptr<ObjectClient> client = env_.direct_clients();
    for (int worker = 0; worker < count; ++worker) {
      if (absl::Status s = client->Delete(key(worker)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  const Plan& plan_;
  const Environment& env_;
};

}  // namespace

Plan Plan::Full() {
  Plan plan;
  plan.mode = "full";
  plan.memory_download_bytes = {kGiB, 4 * kGiB};
  // Eight concurrent uploads of 4 GiB would need 32 GiB of store; 256 MiB against 1 GiB
  // shows as well whether upload memory follows the object size.
  plan.memory_upload_bytes = {256 * kMiB, kGiB};
  return plan;
}

Plan Plan::Quick() {
  Plan plan;
  plan.mode = "quick";
  plan.rounds = 1;
  plan.large_bytes = 64 * kMiB;
  plan.small_duration = absl::Milliseconds(500);
  plan.memory_download_bytes = {32 * kMiB, 128 * kMiB};
  plan.memory_upload_bytes = {8 * kMiB, 32 * kMiB};
  plan.connection_ops = 1000;
  return plan;
}

absl::StatusOr<json> RunScenarios(const Plan& plan, const Environment& env) {
  return Runner(plan, env).Run();
}

}  // namespace objgate::bench
