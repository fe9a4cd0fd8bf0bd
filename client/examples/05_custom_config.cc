// Example 5: custom configuration with retries: a longer timeout, more retries and a
// longer base delay, as in the SDK's example. Invalid values are refused at creation.
#include <cstdio>

#include "client/client.h"
#include "client/examples/example_target.h"

int main() {
  objgate::ClientConfig config;
  config.target = objgate::examples::ExampleTarget();
  config.tenant_id = objgate::examples::ExampleTenant();
  config.timeout = absl::Seconds(60);
  config.max_retries = 5;
  config.base_delay = absl::Seconds(2);

  objgate::ClientConfig invalid = config;
  invalid.max_retries = -1;
  std::printf("Invalid config refused: %s\n",
              std::string(objgate::Client::Create(invalid).status().message()).c_str());

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
  std::printf("Uploaded with custom config: %s (timeout %s, %d retries, base delay %s)\n",
              resp->key.c_str(), absl::FormatDuration((*client)->config().timeout).c_str(),
              (*client)->config().max_retries,
              absl::FormatDuration((*client)->config().base_delay).c_str());
  return 0;
}
