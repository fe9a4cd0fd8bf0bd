// SHA-256 over the chunks both transfer directions hash: 256 KiB (a download message, a
// libcurl buffer) and smaller pieces as a socket may hand them over.

#include <string>

#include "benchmark/benchmark.h"
#include "common/sha256.h"

namespace objgate {
namespace {

void BM_Sha256Update(benchmark::State& state) {
  const std::string chunk(static_cast<size_t>(state.range(0)), 'x');
  Sha256 hash;
  for (auto _ : state) {
    hash.Update(chunk);
  }
  benchmark::DoNotOptimize(hash.HexDigest());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(chunk.size()));
}
BENCHMARK(BM_Sha256Update)->Arg(16 << 10)->Arg(64 << 10)->Arg(256 << 10);

// A whole small object, as the 4 KiB scenarios hash it: context set-up and digest included.
void BM_Sha256Hex(benchmark::State& state) {
  const std::string object(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    benchmark::DoNotOptimize(Sha256::Hex(object));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(object.size()));
}
BENCHMARK(BM_Sha256Hex)->Arg(4 << 10);

}  // namespace
}  // namespace objgate

BENCHMARK_MAIN();
