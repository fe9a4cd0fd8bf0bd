// The status table on the paths every call takes: a 2xx answer, an error answer with a
// JSON body, and a libcurl failure.

#include <curl/curl.h>

#include "benchmark/benchmark.h"
#include "server/upstream/status_mapping.h"

namespace objgate {
namespace {

void BM_StatusFromHttpOk(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(StatusFromHttp(200, "", "download of \"k\""));
  }
}
BENCHMARK(BM_StatusFromHttpOk);

void BM_StatusFromHttpNotFound(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        StatusFromHttp(404, R"({"error":"object not found"})", "download of \"k\""));
  }
}
BENCHMARK(BM_StatusFromHttpNotFound);

void BM_StatusFromHttpQuotaExceeded(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        StatusFromHttp(403, R"({"error":"Quota exceeded"})", "upload of \"k\""));
  }
}
BENCHMARK(BM_StatusFromHttpQuotaExceeded);

void BM_StatusFromCurl(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        StatusFromCurl(CURLE_COULDNT_CONNECT, "Connection refused", "GET http://h/download"));
  }
}
BENCHMARK(BM_StatusFromCurl);

}  // namespace
}  // namespace objgate

BENCHMARK_MAIN();
