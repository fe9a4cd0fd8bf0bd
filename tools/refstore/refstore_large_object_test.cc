// A large object streams through the real refstore binary in both directions while the
// server's peak resident memory stays far below the object's size.

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "common/sha256.h"
#include "tests/support/http_client.h"
#include "tests/support/refstore_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace objgate::refstore {
namespace {

using ::objgate::test_support::HttpCall;
using ::objgate::test_support::HttpClient;
using ::objgate::test_support::HttpResponse;
using ::objgate::test_support::StartRefstore;
using ::objgate::test_support::Subprocess;
using ::objgate::test_support::TempDir;

constexpr uint64_t kDefaultObjectBytes = uint64_t{512} << 20;
constexpr uint64_t kMaxServerPeakBytes = uint64_t{64} << 20;

// REFSTORE_LARGE_OBJECT_BYTES (e.g. via --test_env) runs the same test at another size.
uint64_t ObjectBytes() {
  uint64_t bytes = kDefaultObjectBytes;
  const char* text = std::getenv("REFSTORE_LARGE_OBJECT_BYTES");
  if (text != nullptr) {
    EXPECT_TRUE(absl::SimpleAtoi(text, &bytes)) << text;
  }
  return bytes;
}

// Deterministic bytes computed from their offset, so neither side ever holds the object.
char PatternByte(uint64_t offset) {
  uint64_t x = (offset >> 3) * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  return static_cast<char>(x >> (8 * (offset & 7)));
}

void FillPattern(uint64_t offset, char* buffer, size_t size) {
  for (size_t i = 0; i < size; ++i) buffer[i] = PatternByte(offset + i);
}

// Peak resident set size of `pid`, from the kernel's own accounting.
uint64_t PeakResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "VmHWM:")) {
      uint64_t kib = 0;
      absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(rest), " kB"), &kib);
      return kib * 1024;
    }
  }
  ADD_FAILURE() << "no VmHWM in /proc/" << pid << "/status";
  return 0;
}

TEST(RefstoreLargeObjectTest, UploadAndDownloadStreamInBoundedServerMemory) {
  const uint64_t size = ObjectBytes();
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Subprocess>> server = StartRefstore(dir.Sub("data"));
  ASSERT_TRUE(server.ok()) << server.status();
  HttpClient client((*server)->address());
  const test_support::HeaderList tenant = {{"X-Tenant-ID", "large-object-tenant"}};

  Sha256 sent_hash;
  uint64_t sent = 0;
  HttpCall upload{"PUT", "/upload?key=big%2Fobject", tenant};
  upload.body_size = size;
  upload.body_source = [&](char* buffer, size_t capacity) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(capacity, size - sent));
    FillPattern(sent, buffer, n);
    sent_hash.Update(absl::string_view(buffer, n));
    sent += n;
    return n;
  };
  absl::StatusOr<HttpResponse> uploaded = client.Perform(upload);
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  ASSERT_EQ(uploaded->status, 200) << uploaded->body;
  const std::string expected_sha256 = sent_hash.HexDigest();
  EXPECT_EQ(uploaded->Header("ETag"), "\"" + expected_sha256 + "\"");

  Sha256 received_hash;
  uint64_t received = 0;
  bool bytes_match = true;
  HttpCall download{"GET", "/download?key=big%2Fobject", tenant};
  download.body_sink = [&](absl::string_view piece) {
    for (size_t i = 0; i < piece.size() && bytes_match; i += 4093) {
      bytes_match = piece[i] == PatternByte(received + i);
    }
    received_hash.Update(piece);
    received += piece.size();
  };
  absl::StatusOr<HttpResponse> downloaded = client.Perform(download);
  ASSERT_TRUE(downloaded.ok()) << downloaded.status();
  EXPECT_EQ(downloaded->status, 200);
  EXPECT_EQ(received, size);
  EXPECT_TRUE(bytes_match);
  EXPECT_EQ(received_hash.HexDigest(), expected_sha256);
  EXPECT_EQ(downloaded->Header("X-Checksum-SHA256"), expected_sha256);

  const uint64_t tail_start = size - 1000;
  absl::StatusOr<HttpResponse> tail = client.Get(
      "/download?key=big%2Fobject",
      {tenant[0], {"Range", absl::StrCat("bytes=", tail_start, "-")}});
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(tail->status, 206);
  std::string expected_tail(1000, '\0');
  FillPattern(tail_start, expected_tail.data(), expected_tail.size());
  EXPECT_EQ(tail->body, expected_tail);

  const uint64_t peak = PeakResidentBytes((*server)->pid());
  std::cout << "object bytes: " << size << ", server VmHWM: " << peak / 1024 << " KiB\n";
  RecordProperty("server_peak_resident_kib", static_cast<int>(peak / 1024));
  EXPECT_LT(peak, kMaxServerPeakBytes);
}

}  // namespace
}  // namespace objgate::refstore
