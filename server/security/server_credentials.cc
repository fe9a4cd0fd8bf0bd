#include "server/security/server_credentials.h"

#include <fstream>
#include <sstream>

#include <grpcpp/security/server_credentials.h>

#include "absl/strings/str_cat.h"

namespace objgate {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read the ", what, " file ", path));
  std::stringstream text;
  text << file.rdbuf();
  if (text.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no PEM ", what));
  }
  return text.str();
}

}  // namespace

absl::StatusOr<ListenerCredentials> MakeListenerCredentials(const ListenerTlsOptions& options) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and its private key");
  }
  if (options.cert_file.empty()) {
    if (!options.client_ca_file.empty()) {
      return absl::InvalidArgumentError("a client CA (mutual TLS) needs TLS: give a certificate");
    }
    return ListenerCredentials{grpc::InsecureServerCredentials(), "plaintext"};
  }
  absl::StatusOr<std::string> cert = ReadPem(options.cert_file, "certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(options.key_file, "private key");
  if (!key.ok()) return key.status();

  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  std::string description = "TLS";
  if (!options.client_ca_file.empty()) {
    absl::StatusOr<std::string> client_ca = ReadPem(options.client_ca_file, "client CA");
    if (!client_ca.ok()) return client_ca.status();
    ssl.pem_root_certs = *client_ca;
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    description = "mutual TLS";
  }
  return ListenerCredentials{grpc::SslServerCredentials(ssl), description};
}

}  // namespace objgate
