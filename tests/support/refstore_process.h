#ifndef OBJGATE_TESTS_SUPPORT_REFSTORE_PROCESS_H_
#define OBJGATE_TESTS_SUPPORT_REFSTORE_PROCESS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/subprocess.h"

namespace objgate::test_support {

// Starts //tools/refstore:refstore on an ephemeral loopback port over `data_dir` and
// returns once it listens; address() is its base URL, e.g. "http://127.0.0.1:41234".
// Depending on this library brings the binary into the test's runfiles.
absl::StatusOr<std::unique_ptr<Subprocess>> StartRefstore(
    const std::string& data_dir, std::vector<std::string> extra_args = {},
    std::vector<std::pair<std::string, std::string>> env = {});

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_SUPPORT_REFSTORE_PROCESS_H_
