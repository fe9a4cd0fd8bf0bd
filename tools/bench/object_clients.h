#ifndef OBJGATE_TOOLS_BENCH_OBJECT_CLIENTS_H_
#define OBJGATE_TOOLS_BENCH_OBJECT_CLIENTS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/upstream/s3_request.h"
#include "server/upstream/sigv4.h"

namespace objgate::bench {

// One caller's connection to a store, through the gateway or straight to the upstream, so
// that each scenario runs the same operations on both paths. Upload bodies are generated
// as they are sent and downloaded bytes are counted and dropped: no object is ever held
// whole. Not safe for concurrent use; each load thread has its own.
class ObjectClient {
 public:
  virtual ~ObjectClient() = default;

  // Opens the connection, so that connecting is not part of what a scenario measures.
  virtual absl::Status Connect() = 0;
  // Uploads `size` bytes as `key`.
  virtual absl::Status Upload(const std::string& key, int64_t size) = 0;
  // Downloads `key` and returns how many bytes arrived.
  virtual absl::StatusOr<int64_t> Download(const std::string& key) = 0;
  virtual absl::Status Delete(const std::string& key) = 0;
  // The cheapest call of the path, which does not touch the store's objects: what the
  // transport alone costs. Through the gateway, the standard grpc.health.v1 Check, which
  // gRPC answers in the gateway without calling the upstream; directly, GET
  // /minio/health/live on a REST store, an unsigned GET / on S3.
  virtual absl::Status Ping() = 0;
  // The store's self-description: through the gateway the unary GetServerInfo, which asks
  // the store; directly, the request the gateway makes for it: GET / on a REST store, a
  // ListObjectsV2 of no keys on S3.
  virtual absl::Status Info() = 0;
};

// Calls the gateway at `target` ("127.0.0.1:PORT") through the generated gRPC stubs, on a
// connection of its own.
std::unique_ptr<ObjectClient> NewGatewayClient(const std::string& target,
                                               const std::string& tenant);

// Calls the REST store at `base_url` ("http://127.0.0.1:PORT") with libcurl, keeping its
// connection alive between calls and using the gateway's buffer sizes and TCP_NODELAY.
std::unique_ptr<ObjectClient> NewDirectClient(const std::string& base_url,
                                              const std::string& tenant);

// An S3 bucket, reached directly.
struct S3Target {
  // From ParseS3Endpoint, with the bucket's region.
  S3Endpoint endpoint;
  std::string bucket;
  AwsCredentials credentials;
};

// Calls the S3 bucket of `target` with libcurl on the same terms as NewDirectClient calls
// a REST store, each request signed with SigV4 as the gateway signs its own: uploads are
// one PutObject whose payload SHA-256 is signed (computed from the body before it is
// sent, as any client must), downloads one GetObject. `tenant`'s keys live under
// "TENANT/", where the gateway keeps them in a shared bucket, so that both paths read and
// write the same objects.
std::unique_ptr<ObjectClient> NewS3DirectClient(const S3Target& target,
                                                const std::string& tenant);

}  // namespace objgate::bench

#endif  // OBJGATE_TOOLS_BENCH_OBJECT_CLIENTS_H_
