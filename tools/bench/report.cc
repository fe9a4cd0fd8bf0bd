#include "tools/bench/report.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace objgate::bench {
namespace {

using ::nlohmann::json;

double Number(const json& value) { return value.get<double>(); }

std::string Size(double bytes) {
  if (bytes >= (1 << 30)) return absl::StrFormat("%g GiB", bytes / (1 << 30));
  if (bytes >= (1 << 20)) return absl::StrFormat("%g MiB", bytes / (1 << 20));
  return absl::StrFormat("%g KiB", bytes / (1 << 10));
}

double MiB(const json& bytes) { return Number(bytes) / (1 << 20); }

// Whether the direct path was signed S3 requests rather than the REST store's routes.
bool IsS3(const json& results) {
  return results["environment"].value("upstream_dialect", "rest") == "s3";
}

// The first column of a row: the operation, or on S3 the request the direct path sent.
std::string RowLabel(const std::string& operation, bool s3) {
  if (!s3) return operation;
  if (operation == "upload") return "S3 PUT";
  if (operation == "download") return "S3 GET";
  if (operation == "info") return "S3 List";
  if (operation == "no-op") return "S3 GET /";
  return operation;
}

void PrintLarge(const json& rows, bool s3, std::FILE* out) {
  absl::FPrintF(out, "%-35sgateway     direct   ratio   gateway CPU\n",
                s3 ? "Large objects, S3 upstream" : "Large objects");
  absl::FPrintF(out, "direction  streams  object         MB/s       MB/s  gw/dir       s / GiB\n");
  for (const json& row : rows) {
    absl::FPrintF(out, "%-9s  %7d  %-9s  %10.1f %10.1f  %6.2f  %12.2f\n",
                  RowLabel(row["direction"].get<std::string>(), s3), row["streams"].get<int>(),
                  Size(Number(row["object_bytes"])), Number(row["gateway"]["mb_per_s"]),
                  Number(row["direct"]["mb_per_s"]), Number(row["ratio"]),
                  Number(row["gateway_cpu_seconds_per_gib"]));
  }
  if (rows.empty() || !rows[0].contains("references")) return;
  absl::FPrintF(out, "\nLarge objects against       gateway    reference   ratio   CPU s / GiB\n");
  absl::FPrintF(out,
                "direction  streams  reference       MB/s         MB/s  gw/ref   gateway    ref\n");
  for (const json& row : rows) {
    for (const auto& [name, reference] : row["references"].items()) {
      // Only a reference served by one process has a CPU figure (not nginx's workers).
      const std::string reference_cpu =
          reference.contains("cpu_seconds_per_gib")
              ? absl::StrFormat("%6.2f", Number(reference["cpu_seconds_per_gib"]))
              : "     -";
      absl::FPrintF(out, "%-9s  %7d  %-12s  %8.1f   %10.1f  %6.2f   %7.2f %s\n",
                    RowLabel(row["direction"].get<std::string>(), s3), row["streams"].get<int>(),
                    name, Number(row["gateway"]["mb_per_s"]), Number(reference["mb_per_s"]),
                    Number(row["ratio_to"][name]), Number(row["gateway_cpu_seconds_per_gib"]),
                    reference_cpu);
    }
  }
  absl::FPrintF(out,
                "nginx: an HTTP reverse proxy in front of the same store, keep-alive to it, "
                "bodies streamed.\ngrpc_ceiling: a gRPC server of the gateway's API that "
                "streams from memory and drains uploads.\n");
  if (s3) {
    absl::FPrintF(out,
                  "S3 PUT: Upload against one signed PutObject; the gateway sends objects over "
                  "its --s3_part_bytes (8 MiB)\nas a multipart upload of such parts. Both sign "
                  "every payload's SHA-256. S3 GET: Download against a signed GetObject.\n");
  }
}

void PrintSmall(const json& rows, bool s3, std::FILE* out) {
  absl::FPrintF(out,
                "\n%-28sops/s             ratio      p50 ms       added"
                "     p99 ms          p99.9 ms      CPU s\n",
                absl::StrFormat("Small objects (%s)%s", Size(Number(rows[0]["object_bytes"])),
                                s3 ? ", S3" : ""));
  absl::FPrintF(out,
                "operation  conc     gateway     direct  gw/dir   gateway direct  p50 ms"
                "   gateway direct   gateway direct   / 10k ops\n");
  for (const json& row : rows) {
    const json& g = row["gateway"];
    const json& d = row["direct"];
    absl::FPrintF(out,
                  "%-9s  %4d  %10.0f %10.0f  %6.2f   %7.3f %6.3f  %+6.3f   %7.3f %6.3f   %7.3f "
                  "%6.3f   %9.2f\n",
                  RowLabel(row["operation"].get<std::string>(), s3), row["concurrency"].get<int>(),
                  Number(g["ops_per_s"]), Number(d["ops_per_s"]), Number(row["ratio"]["ops_per_s"]),
                  Number(g["p50_ms"]), Number(d["p50_ms"]), Number(row["added_p50_ms"]),
                  Number(g["p99_ms"]), Number(d["p99_ms"]), Number(g["p999_ms"]),
                  Number(d["p999_ms"]), Number(row["gateway_cpu_seconds_per_10k_ops"]));
  }
  if (s3) {
    absl::FPrintF(out,
                  "S3 PUT, S3 GET: Upload and Download against a signed PutObject and GetObject.\n"
                  "S3 List: GetServerInfo, which the gateway answers with a ListObjectsV2 of no "
                  "keys, against that request\nsigned. S3 GET /: grpc.health.v1 Check, which "
                  "gRPC answers inside the gateway, against an unsigned\nGET / on the store (an "
                  "anonymous ListBuckets): what each transport costs by itself.\n");
  } else if (std::any_of(rows.begin(), rows.end(),
                         [](const json& row) { return row["operation"] == "no-op"; })) {
    absl::FPrintF(out,
                  "info: GetServerInfo, a unary call the gateway passes to the store, against "
                  "GET /.\n"
                  "no-op: grpc.health.v1 Check, which gRPC answers inside the gateway, against "
                  "GET /minio/health/live\non the store: what each transport costs by itself.\n");
  }
  if (std::any_of(rows.begin(), rows.end(),
                  [](const json& row) { return row.contains("references"); })) {
    absl::FPrintF(out,
                  "\nSmall objects against         ops/s            ratio      p50 ms       "
                  "CPU s / 10k ops    ratio\n");
    absl::FPrintF(out,
                  "operation  conc  reference    gateway  reference  gw/ref   gateway   ref    "
                  "gateway   ref      gw/ref\n");
    for (const json& row : rows) {
      if (!row.contains("references")) continue;
      for (const auto& [name, reference] : row["references"].items()) {
        absl::FPrintF(
            out, "%-9s  %4d  %-12s %7.0f  %9.0f  %6.2f   %7.3f %6.3f   %7.2f %6.2f   %6.2f\n",
            RowLabel(row["operation"].get<std::string>(), s3), row["concurrency"].get<int>(), name,
            Number(row["gateway"]["ops_per_s"]), Number(reference["ops_per_s"]),
            Number(row["ratio_to"][name]["ops_per_s"]), Number(row["gateway"]["p50_ms"]),
            Number(reference["p50_ms"]), Number(row["gateway_cpu_seconds_per_10k_ops"]),
            Number(reference["cpu_seconds_per_10k_ops"]),
            Number(row["ratio_to"][name]["cpu_seconds_per_10k_ops"]));
      }
    }
    absl::FPrintF(out,
                  "CPU: of the process serving the call, the gateway or the reference (the gRPC "
                  "ceiling: the same\ncalls and messages answered from memory, what they cost "
                  "gRPC with nothing behind them).\n"
                  "floor_multi, floor_thread: the same calls, each one exchange with the store "
                  "and nothing else,\nwaiting on libcurl's multi interface (no thread per call) "
                  "or on a thread each as the gateway does.\n");
  }
}

// Only the figures of the scenarios that ran.
void PrintCost(const json& results, std::FILE* out) {
  const json& cost = results["cost"];
  std::vector<std::string> parts;
  if (results.contains("large")) {
    parts.push_back(
        absl::StrFormat("%.2f s per GiB moved", Number(cost["gateway_cpu_seconds_per_gib"])));
  }
  if (results.contains("small")) {
    parts.push_back(absl::StrFormat("%.2f s per 10,000 small operations",
                                    Number(cost["gateway_cpu_seconds_per_10k_small_ops"])));
  }
  absl::FPrintF(out, "\nCost: gateway CPU %s\n", absl::StrJoin(parts, ", "));
}

void PrintMemory(const json& rows, std::FILE* out) {
  absl::FPrintF(out,
                "\nMemory (fresh gateway each row)   idle RSS   peak RSS   peak-idle     MB/s\n");
  absl::FPrintF(out, "direction  streams  object             MiB        MiB         MiB\n");
  for (const json& row : rows) {
    absl::FPrintF(out, "%-9s  %7d  %-9s    %10.1f %10.1f  %10.1f  %7.1f\n",
                  row["direction"].get<std::string>(), row["streams"].get<int>(),
                  Size(Number(row["object_bytes"])), MiB(row["idle_rss_bytes"]),
                  MiB(row["peak_rss_bytes"]), MiB(row["peak_above_idle_bytes"]),
                  Number(row["mb_per_s"]));
  }
}

void PrintConnections(const json& connections, std::FILE* out) {
  absl::FPrintF(out,
                "\nConnections: %d small operations at concurrency %d: the gateway opened %d "
                "upstream connections (%d since it started; pool size %d)\n",
                connections["ops"].get<int>(), connections["concurrency"].get<int>(),
                connections["opened_during_run"].get<int>(),
                connections["opened_since_start"].get<int>(), connections["pool_size"].get<int>());
}

}  // namespace

void PrintReport(const json& results, std::FILE* out) {
  const json& env = results["environment"];
  absl::FPrintF(out,
                "objgate benchmark, %s mode, %d round(s) per path, gateway/direct alternating\n",
                results["mode"].get<std::string>(), results["rounds"].get<int>());
  absl::FPrintF(out, "upstream %s (%s), %d CPUs, load average %.2f before, %.2f after\n\n",
                env["upstream"].get<std::string>(), env["upstream_kind"].get<std::string>(),
                env["cpus"].get<int>(), Number(env["load_average_before"]),
                Number(env["load_average_after"]));

  if (results.contains("large")) PrintLarge(results["large"], IsS3(results), out);
  if (results.contains("small")) PrintSmall(results["small"], IsS3(results), out);
  if (results.contains("cost")) PrintCost(results, out);
  if (results.contains("memory")) PrintMemory(results["memory"], out);
  if (results.contains("connections")) PrintConnections(results["connections"], out);
}

}  // namespace objgate::bench
