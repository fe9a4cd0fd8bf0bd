#ifndef OBJGATE_TOOLS_BENCH_REFERENCE_SERVERS_H_
#define OBJGATE_TOOLS_BENCH_REFERENCE_SERVERS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/support/subprocess.h"

namespace objgate::bench {

// A server the bench measures the gateway against, stopped (SIGTERM, then SIGKILL) when
// destroyed.
class ReferenceServer {
 public:
  ReferenceServer(std::unique_ptr<test_support::Subprocess> process, std::string address)
      : process_(std::move(process)), address_(std::move(address)) {}
  ~ReferenceServer();

  // "http://127.0.0.1:PORT" for nginx, "127.0.0.1:PORT" for the gRPC ceiling.
  const std::string& address() const { return address_; }
  // The process started (nginx's master, whose workers do the work).
  pid_t pid() const { return process_->pid(); }

 private:
  std::unique_ptr<test_support::Subprocess> process_;
  std::string address_;
};

// nginx from Debian as people run it in front of an HTTP store: a master and a worker per
// CPU, keep-alive connections to the store, request and response bodies streamed rather
// than buffered, access log off. Its files go in `dir`, which must exist.
absl::StatusOr<std::unique_ptr<ReferenceServer>> StartNginxProxy(const std::string& nginx_binary,
                                                                 const std::string& store_url,
                                                                 const std::string& dir);

// tools/bench/grpc_ceiling: the gateway's Upload, Download and Delete served from memory.
absl::StatusOr<std::unique_ptr<ReferenceServer>> StartGrpcCeiling(const std::string& binary);

// tools/bench/upstream_floor in front of the REST store at `store_url`, its exchanges on
// libcurl's multi interface (`http` "multi") or on a thread each ("blocking").
absl::StatusOr<std::unique_ptr<ReferenceServer>> StartUpstreamFloor(const std::string& binary,
                                                                    const std::string& store_url,
                                                                    const std::string& http);

}  // namespace objgate::bench

#endif  // OBJGATE_TOOLS_BENCH_REFERENCE_SERVERS_H_
