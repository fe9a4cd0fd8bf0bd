#ifndef OBJGATE_CLIENT_CONFIG_H_
#define OBJGATE_CLIENT_CONFIG_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace objgate {

// How a Client reaches the gateway and how it behaves, the SDK's `Config` in C++: `target`
// takes the place of `base_url`, and every other field has the SDK's meaning and default.
//
//   objgate::ClientConfig config;
//   config.target = "127.0.0.1:50051";
//   config.tenant_id = "550e8400-e29b-41d4-a716-446655440000";
//   absl::StatusOr<std::unique_ptr<objgate::Client>> client = objgate::Client::Create(config);
struct ClientConfig {
  // The gateway's address: "host:port", or any gRPC target such as "dns:///gw:50051".
  std::string target = "127.0.0.1:50051";

  // The tenant every object call acts for, sent as `x-tenant-id`. Required: 1 to 64
  // characters from [A-Za-z0-9._-] starting with a letter or digit.
  std::string tenant_id;

  // Deadline of each call, retries included. Streaming transfers get the same deadline
  // per call; raise it for large objects (the CLI does).
  absl::Duration timeout = absl::Seconds(30);

  // Retries of a call that failed with UNAVAILABLE, when repeating it is safe: every call
  // but an upload whose bytes cannot be read again (see Client::UploadFrom).
  int max_retries = 3;

  // Wait before the first retry; each further retry waits twice as long (1 s, 2 s, 4 s
  // with the defaults), with jitter, never longer than `max_delay`.
  absl::Duration base_delay = absl::Seconds(1);
  absl::Duration max_delay = absl::Seconds(30);

  // Bytes per upload message. 64 KiB to 1 MiB moves data fastest.
  size_t chunk_bytes = 256 * 1024;

  // TLS to the gateway: on when `tls` is set or any of the files below is given. The
  // gateway's certificate is checked against `ca_file` (PEM), or the system's roots when
  // empty; `cert_file` and `key_file` are the client's own certificate, for a gateway
  // that requires mutual TLS.
  bool tls = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;

  // Sent as `authorization: Bearer TOKEN` on every call, for a gateway that authenticates
  // tenants. Use it over TLS: on a plaintext channel anyone on the path can read it.
  std::string bearer_token;

  bool UsesTls() const { return tls || !ca_file.empty() || !cert_file.empty(); }

  // OK, or INVALID_ARGUMENT naming the first field that is out of range.
  absl::Status Validate() const;
};

}  // namespace objgate

#endif  // OBJGATE_CLIENT_CONFIG_H_
