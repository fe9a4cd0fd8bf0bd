// The reference REST store: the object API of server/upstream/rest_dialect.md on local
// disk, the gateway's default upstream and the upstream of its tests.

#include <pthread.h>
#include <signal.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "common/command_line.h"
#include "common/httpd/http_server.h"
#include "tools/refstore/object_store.h"
#include "tools/refstore/rest_handler.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:9000",
          "HOST:PORT to listen on; [::1]:PORT for IPv6, port 0 for any free port (the "
          "chosen one is printed).");
ABSL_FLAG(std::string, data_dir, "",
          "Directory for the objects; created if missing; one refstore per directory. "
          "Required.");
ABSL_FLAG(uint64_t, quota_bytes, 0,
          "Object bytes each tenant may store; uploads beyond it get 403 \"Quota "
          "exceeded\". 0 means no quota.");
ABSL_FLAG(uint64_t, max_object_bytes, 0,
          "Largest object accepted; larger uploads get 413. 0 means no limit.");
ABSL_FLAG(bool, list_pagination, true,
          "Paginate listings (start_after, is_truncated, next_start_after). false answers "
          "them as the published reference server does, which the dialect allows: prefix and "
          "max_keys honoured, start_after ignored, nothing said of what follows; for testing "
          "clients against such stores.");
ABSL_FLAG(bool, conditional_writes, true,
          "Enforce If-None-Match: * and If-Match on uploads and If-Match on deletes (412 when "
          "refused) and declare \"conditional_writes\" in GET /. false ignores those headers "
          "and declares nothing, as the published reference server does; for testing that "
          "clients refuse conditional writes to such stores.");
ABSL_FLAG(bool, multipart_uploads, true,
          "Serve multipart uploads (POST /uploads, PUT /uploads/part, GET /uploads/parts, POST "
          "/uploads/complete, DELETE /uploads) and declare \"multipart_uploads\" in GET /. "
          "false answers those routes 404 and declares nothing; for testing clients against "
          "stores without them.");
ABSL_FLAG(bool, upload_checksums, true,
          "Declare \"upload_checksums\" in GET /: uploads' X-Checksum-SHA256 is checked and "
          "the stored bytes' sha256 reported in the answer (both happen either way). false "
          "declares nothing, so that a gateway hashes uploads itself; for testing that path.");
ABSL_FLAG(bool, declare_crc32c, true,
          "Send each object's CRC32C (X-Checksum-CRC32C) on GET and HEAD. false declares only "
          "the SHA-256, as the published reference server does; for testing gateways "
          "against such stores.");
ABSL_FLAG(absl::Duration, upload_expiry, absl::Hours(24),
          "Multipart uploads, and the records of completed ones, whose last activity (start, "
          "part, completion) is older are removed, at startup and whenever an upload starts. "
          "Must be positive.");
ABSL_FLAG(int, max_connections, 256,
          "Connections served at once; more clients wait to be accepted. Each takes a "
          "thread.");

namespace objgate::refstore {
namespace {

using httpd::BodyReader;
using httpd::RequestHead;
using httpd::HttpServer;
using httpd::HttpServerOptions;
using httpd::ResponseWriter;

int Run() {
  HttpServerOptions server_options;
  server_options.max_connections = absl::GetFlag(FLAGS_max_connections);
  if (!httpd::ParseListenAddress(absl::GetFlag(FLAGS_listen), server_options)) {
    std::cerr << "refstore: --listen must be HOST:PORT, got \"" << absl::GetFlag(FLAGS_listen)
              << "\"\n";
    return 2;
  }
  ObjectStoreOptions store_options;
  store_options.data_dir = absl::GetFlag(FLAGS_data_dir);
  store_options.quota_bytes = absl::GetFlag(FLAGS_quota_bytes);
  store_options.max_object_bytes = absl::GetFlag(FLAGS_max_object_bytes);
  store_options.upload_expiry = absl::GetFlag(FLAGS_upload_expiry);
  if (store_options.upload_expiry <= absl::ZeroDuration()) {
    std::cerr << "refstore: --upload_expiry must be positive\n";
    return 2;
  }
  if (store_options.data_dir.empty()) {
    std::cerr << "refstore: --data_dir (or REFSTORE_DATA_DIR) is required\n";
    return 2;
  }

  absl::StatusOr<std::unique_ptr<ObjectStore>> store = ObjectStore::Open(store_options);
  if (!store.ok()) {
    std::cerr << "refstore: cannot open the store: " << store.status().message() << "\n";
    return 1;
  }
  // Signals are taken by sigwait below, so every thread started from here on blocks them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  RestHandlerOptions handler_options;
  handler_options.list_pagination = absl::GetFlag(FLAGS_list_pagination);
  handler_options.conditional_writes = absl::GetFlag(FLAGS_conditional_writes);
  handler_options.multipart_uploads = absl::GetFlag(FLAGS_multipart_uploads);
  handler_options.upload_checksums = absl::GetFlag(FLAGS_upload_checksums);
  handler_options.declare_crc32c = absl::GetFlag(FLAGS_declare_crc32c);
  RestHandler handler(**store, handler_options);
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
      server_options, [&handler](const RequestHead& request, BodyReader& body,
                                 ResponseWriter& response) {
        handler.Handle(request, body, response);
      });
  if (!server.ok()) {
    std::cerr << "refstore: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "refstore listening on " << (*server)->url() << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cerr << "refstore: signal " << signal_number << ", stopping\n";
  (*server)->Stop();
  return 0;
}

}  // namespace
}  // namespace objgate::refstore

int main(int argc, char** argv) {
  objgate::ParseProgramCommandLine(
      argc, argv, "tools/refstore/refstore_main.cc", "REFSTORE_",
      "refstore: serves the object REST API (server/upstream/rest_dialect.md) from a local "
      "directory.\n"
      "Usage: refstore --data_dir=/var/lib/refstore [--listen=127.0.0.1:9000]\n"
      "Prints \"refstore listening on http://HOST:PORT\" once ready; SIGTERM or SIGINT "
      "stops it after the requests in progress.\n");
  return objgate::refstore::Run();
}
