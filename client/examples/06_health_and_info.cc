// Example 6: health check and server info.
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
  absl::StatusOr<bool> healthy = (*client)->HealthCheck();
  if (!healthy.ok()) {
    std::fprintf(stderr, "Health check failed: %s\n", healthy.status().ToString().c_str());
    return 1;
  }
  std::printf(*healthy ? "✓ Server is healthy\n" : "✗ Server is not healthy\n");

  absl::StatusOr<objgate::ServerInfo> info = (*client)->GetServerInfo();
  if (!info.ok()) {
    std::fprintf(stderr, "Server info failed: %s\n", info.status().ToString().c_str());
    return 1;
  }
  std::printf("\nServer Info:\n");
  std::printf("  Dialect: %s\n", info->dialect.c_str());
  std::printf("  Status: %s\n", info->status.c_str());
  std::printf("  Version: %s\n", info->version.c_str());
  std::printf("  Performance: %s\n", info->performance.c_str());
  std::printf("  Gateway: %s\n", info->gateway_version.c_str());
  return 0;
}
