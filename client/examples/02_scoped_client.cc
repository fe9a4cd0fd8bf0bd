// Example 2: the client's lifetime is a scope. The SDK's context manager closes the client
// at the end of a `with` block; in C++ the destructor does, however the scope is left.
#include <cstdio>

#include "client/client.h"
#include "client/examples/example_target.h"

int main() {
  objgate::ClientConfig config;
  config.target = objgate::examples::ExampleTarget();
  config.tenant_id = objgate::examples::ExampleTenant();
  {
    absl::StatusOr<std::unique_ptr<objgate::Client>> client = objgate::Client::Create(config);
    if (!client.ok()) {
      std::fprintf(stderr, "Invalid configuration: %s\n", client.status().ToString().c_str());
      return 1;
    }
    absl::StatusOr<objgate::UploadResult> resp = (*client)->Upload("test.txt", "Test data");
    if (!resp.ok()) {
      std::fprintf(stderr, "Upload failed: %s\n", resp.status().ToString().c_str());
      return 1;
    }
    std::printf("Uploaded: %s\n", resp->key.c_str());

    absl::StatusOr<std::string> data = (*client)->Download("test.txt");
    if (!data.ok()) {
      std::fprintf(stderr, "Download failed: %s\n", data.status().ToString().c_str());
      return 1;
    }
    std::printf("Downloaded: %s\n", data->c_str());
  }  // The client is closed here.
  std::printf("Client closed\n");
  return 0;
}
