// DownloadStream turning upstream pieces into Download messages: hashing, the CRC32C,
// chunking and the one copy into each message's wire form, which is what gRPC sends.

#include <string>

#include "benchmark/benchmark.h"
#include "server/service/download_stream.h"

namespace objgate {
namespace {

namespace v1 = ::storage::v1;

// Takes each message as gRPC would, by reference, and drops it.
class DroppingWriter : public SerializedWriter {
 public:
  bool Write(grpc::ByteBuffer message, bool) override {
    bytes_ += message.Length();
    return true;
  }

 private:
  size_t bytes_ = 0;
};

// Streams a 64 MiB object arriving in pieces of range(0) bytes as messages of range(1).
void BM_DownloadStream(benchmark::State& state) {
  constexpr int64_t kObjectBytes = 64 << 20;
  const std::string piece(static_cast<size_t>(state.range(0)), 'x');
  const size_t chunk_bytes = static_cast<size_t>(state.range(1));
  const DownloadHead head{kObjectBytes, 0, kObjectBytes, "etag", "application/octet-stream", ""};
  DroppingWriter writer;
  for (auto _ : state) {
    DownloadStream stream(writer, "key", chunk_bytes);
    if (!stream.OnHead(head).ok()) state.SkipWithError("OnHead failed");
    for (int64_t sent = 0; sent < kObjectBytes; sent += piece.size()) {
      if (!stream.OnData(piece).ok()) state.SkipWithError("OnData failed");
    }
    if (!stream.Finish().ok()) state.SkipWithError("Finish failed");
  }
  state.SetBytesProcessed(state.iterations() * kObjectBytes);
}
BENCHMARK(BM_DownloadStream)
    ->ArgNames({"piece", "chunk"})
    ->Args({16 << 10, 256 << 10})
    ->Args({64 << 10, 256 << 10})
    ->Args({256 << 10, 256 << 10})
    ->Args({64 << 10, 64 << 10})
    ->Args({64 << 10, 1 << 20})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace objgate

BENCHMARK_MAIN();
