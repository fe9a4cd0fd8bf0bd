// Replays inputs through a fuzz target's LLVMFuzzerTestOneInput, one GoogleTest case per
// file, so that `bazel test` runs every corpus and regression input under the default
// toolchain (and under --config=asan), and a crash once found stays fixed.
//
// Usage: <target>_fuzz_test FILE_OR_DIRECTORY...  (directories are read recursively)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional, as in libFuzzer: one-time setup before the first input.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace objgate {
namespace {

class ReplayTest : public testing::Test {
 public:
  explicit ReplayTest(std::filesystem::path path) : path_(std::move(path)) {}

  void TestBody() override {
    std::ifstream file(path_, std::ios::binary);
    ASSERT_TRUE(file) << "cannot read " << path_;
    const std::string input{std::istreambuf_iterator<char>(file),
                            std::istreambuf_iterator<char>()};
    // A failed property aborts the process; the RUN line above it names the input.
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }

 private:
  const std::filesystem::path path_;
};

// The files named on the command line, directories expanded, in a stable order.
std::vector<std::filesystem::path> CollectInputs(int argc, char** argv) {
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (!std::filesystem::is_directory(arg)) {
      inputs.push_back(arg);
      continue;
    }
    for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
      if (entry.is_regular_file()) inputs.push_back(entry.path());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

}  // namespace
}  // namespace objgate

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  const std::vector<std::filesystem::path> inputs = objgate::CollectInputs(argc, argv);
  // Replaying nothing would pass while checking nothing: a misconfigured target.
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIRECTORY... (no inputs found)\n", argv[0]);
    return 2;
  }
  for (const std::filesystem::path& path : inputs) {
    // Suite "corpus" or "regressions", test named after the file.
    testing::RegisterTest(path.parent_path().parent_path().filename().c_str(),
                          path.filename().c_str(), nullptr, nullptr, __FILE__, __LINE__,
                          [path]() -> testing::Test* { return new objgate::ReplayTest(path); });
  }
  return RUN_ALL_TESTS();
}
