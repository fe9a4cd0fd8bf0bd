#include "tests/support/refstore_process.h"

namespace objgate::test_support {

absl::StatusOr<std::unique_ptr<Subprocess>> StartRefstore(
    const std::string& data_dir, std::vector<std::string> extra_args,
    std::vector<std::pair<std::string, std::string>> env) {
  SubprocessOptions options;
  options.binary = "tools/refstore/refstore";
  options.args = {"--listen=127.0.0.1:0", "--data_dir=" + data_dir};
  options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
  options.env = std::move(env);
  options.ready_pattern = R"(^refstore listening on (http://\S+)$)";
  return Subprocess::Start(options);
}

}  // namespace objgate::test_support
