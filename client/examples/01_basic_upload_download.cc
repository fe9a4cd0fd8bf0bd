// Example 1: basic upload and download.
#include <cstdio>

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

  absl::StatusOr<objgate::UploadResult> resp = (*client)->Upload("hello.txt", "Hello, World!");
  if (!resp.ok()) {
    std::fprintf(stderr, "Upload failed: %s\n", resp.status().ToString().c_str());
    return 1;
  }
  std::printf("Uploaded: %s (%lld bytes)\n", resp->key.c_str(),
              static_cast<long long>(resp->size));

  absl::StatusOr<std::string> downloaded = (*client)->Download("hello.txt");
  if (!downloaded.ok()) {
    std::fprintf(stderr, "Download failed: %s\n", downloaded.status().ToString().c_str());
    return 1;
  }
  std::printf("Content: %s\n", downloaded->c_str());

  (*client)->Close();
  return 0;
}
