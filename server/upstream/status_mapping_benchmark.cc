// The status table on the paths every call takes: a 2xx answer, and error answers with a
// JSON body.

#include "benchmark/benchmark.h"
#include "server/upstream/status_mapping.h"

namespace objgate {
namespace {

void BM_StatusFromHttpOk(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(StatusFromHttp({200, "", ""}, "download of \"k\""));
  }
}
BENCHMARK(BM_StatusFromHttpOk);

void BM_StatusFromHttpNotFound(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(StatusFromHttp(
        {404, "application/json", R"({"error":"object not found"})"}, "download of \"k\""));
  }
}
BENCHMARK(BM_StatusFromHttpNotFound);

void BM_StatusFromHttpQuotaExceeded(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(StatusFromHttp(
        {403, "application/json", R"({"error":"Quota exceeded"})"}, "upload of \"k\""));
  }
}
BENCHMARK(BM_StatusFromHttpQuotaExceeded);

}  // namespace
}  // namespace objgate

BENCHMARK_MAIN();
