// Example 4: list with a prefix filter, and download each object found.
#include <cstdio>
#include <string>

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
  // Something to find.
  for (const char* key : {"uploads/report.csv", "uploads/summary.txt"}) {
    if (absl::Status status = (*client)->Upload(key, std::string("data of ") + key).status();
        !status.ok()) {
      std::fprintf(stderr, "Upload failed: %s\n", status.ToString().c_str());
      return 1;
    }
  }

  absl::StatusOr<std::vector<std::string>> keys = (*client)->List("uploads/");
  if (!keys.ok()) {
    std::fprintf(stderr, "List failed: %s\n", keys.status().ToString().c_str());
    return 1;
  }
  std::printf("Found %zu objects with prefix 'uploads/'\n", keys->size());
  for (const std::string& key : *keys) {
    absl::StatusOr<std::string> data = (*client)->Download(key);
    if (data.ok()) {
      std::printf("✓ Downloaded %s: %zu bytes\n", key.c_str(), data->size());
    } else {
      std::printf("✗ Failed to download %s: %s\n", key.c_str(),
                  std::string(data.status().message()).c_str());
    }
  }
  return 0;
}
