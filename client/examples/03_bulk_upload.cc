// Example 3: bulk upload with error handling. One failed upload does not stop the others;
// each result is reported. The last key is empty on purpose, to show a failure.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "client/client.h"
#include "client/examples/example_target.h"

int main() {
  absl::StatusOr<std::unique_ptr<objgate::Client>> client =
      objgate::CreateClient(objgate::examples::ExampleTarget(),
                            objgate::examples::ExampleTenant());
  if (!client.ok()) {
    std::fprintf(stderr, "Invalid configuration: %s\n", client.status().ToString().c_str());
    return 1;
  }
  const std::vector<std::pair<std::string, std::string>> files = {
      {"file1.txt", "Content 1"},
      {"file2.txt", "Content 2"},
      {"file3.txt", "Content 3"},
      {"", "a key is required"},
  };
  for (const auto& [key, data] : files) {
    absl::StatusOr<objgate::UploadResult> resp = (*client)->Upload(key, data);
    if (resp.ok()) {
      std::printf("✓ Uploaded: %s (%lld bytes)\n", resp->key.c_str(),
                  static_cast<long long>(resp->size));
    } else {
      std::printf("✗ Failed to upload \"%s\": %s\n", key.c_str(),
                  std::string(resp.status().message()).c_str());
    }
  }
  return 0;
}
