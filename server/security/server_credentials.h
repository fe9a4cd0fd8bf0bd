#ifndef OBJGATE_SERVER_SECURITY_SERVER_CREDENTIALS_H_
#define OBJGATE_SERVER_SECURITY_SERVER_CREDENTIALS_H_

#include <memory>
#include <string>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"

namespace objgate {

// How the gRPC listener is secured. No certificate means plaintext, for loopback and
// development; a certificate and key mean TLS; adding a client CA means mutual TLS, where
// every caller must present a certificate that CA signed.
struct ListenerTlsOptions {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
};

struct ListenerCredentials {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // "plaintext", "TLS" or "mutual TLS", for the startup log.
  std::string description;
};

// INVALID_ARGUMENT for a certificate without its key (or the reverse), or a client CA
// without TLS; NOT_FOUND naming a file that cannot be read.
absl::StatusOr<ListenerCredentials> MakeListenerCredentials(const ListenerTlsOptions& options);

}  // namespace objgate

#endif  // OBJGATE_SERVER_SECURITY_SERVER_CREDENTIALS_H_
