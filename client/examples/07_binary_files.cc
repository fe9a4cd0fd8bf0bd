// Example 7: binary files, streamed from disk and back in constant memory, whatever their
// size. Usage: 07_binary_files INPUT OUTPUT (defaults: image.jpg downloaded_image.jpg).
#include <cstdio>
#include <string>

#include "client/client.h"
#include "client/examples/example_target.h"

int main(int argc, char** argv) {
  const std::string input = argc > 1 ? argv[1] : "image.jpg";
  const std::string output = argc > 2 ? argv[2] : "downloaded_image.jpg";
  absl::StatusOr<std::unique_ptr<objgate::Client>> client =
      objgate::CreateClient(objgate::examples::ExampleTarget(),
                            objgate::examples::ExampleTenant());
  if (!client.ok()) {
    std::fprintf(stderr, "Invalid configuration: %s\n", client.status().ToString().c_str());
    return 1;
  }

  objgate::UploadOptions options;
  options.content_type = "image/jpeg";
  absl::StatusOr<objgate::UploadResult> resp =
      (*client)->UploadFile("images/photo.jpg", input, options);
  if (!resp.ok()) {
    std::fprintf(stderr, "Upload failed: %s\n", resp.status().ToString().c_str());
    return 1;
  }
  std::printf("Uploaded image: %lld bytes\n", static_cast<long long>(resp->size));

  absl::StatusOr<objgate::DownloadResult> downloaded =
      (*client)->DownloadToFile("images/photo.jpg", output);
  if (!downloaded.ok()) {
    std::fprintf(stderr, "Download failed: %s\n", downloaded.status().ToString().c_str());
    return 1;
  }
  std::printf("Downloaded and saved image (%lld bytes, sha256 %s)\n",
              static_cast<long long>(downloaded->length), downloaded->sha256.c_str());
  return 0;
}
