// Example 8: batch operations: 100 uploads by 10 worker threads sharing one client, which
// is safe (see client/client.h).
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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
  constexpr int kFiles = 100;
  constexpr int kWorkers = 10;
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  absl::Mutex print_mu;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      for (int i = next++; i < kFiles; i = next++) {
        const std::string key = absl::StrCat("file", i, ".txt");
        absl::StatusOr<objgate::UploadResult> resp =
            (*client)->Upload(key, absl::StrCat("Content ", i));
        absl::MutexLock lock(&print_mu);
        if (resp.ok()) {
          std::printf("✓ Uploaded: %s\n", resp->key.c_str());
        } else {
          ++failed;
          std::printf("✗ Failed to upload %s: %s\n", key.c_str(),
                      std::string(resp.status().message()).c_str());
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  std::printf("Batch done: %d uploaded, %d failed\n", kFiles - failed.load(), failed.load());
  return failed.load() == 0 ? 0 : 1;
}
