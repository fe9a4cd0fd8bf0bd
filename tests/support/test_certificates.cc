#include "tests/support/test_certificates.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace objgate::test_support {

absl::Status TestCertificates::Make() {
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::ofstream(dir_.Sub("server.ext")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  std::ofstream(dir_.Sub("client.ext")) << "extendedKeyUsage=clientAuth\n";
  const std::string script =
      absl::StrCat("set -e; cd ", dir_.path(), "; ", "for ca in ca other-ca; do openssl req -x509 ",
                   key, " -keyout $ca.key -out $ca.pem ", "-days 1 -subj /CN=$ca; done; ",
                   "openssl req ", key, " -keyout server.key -out server.csr -subj /CN=localhost; ",
                   "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial ",
                   "-out server.pem -days 1 -extfile server.ext; ",
                   "for ca in ca other-ca; do openssl req ", key, " -keyout $ca-client.key ",
                   "-out $ca-client.csr -subj /CN=client; openssl x509 -req -in $ca-client.csr ",
                   "-CA $ca.pem -CAkey $ca.key -CAcreateserial -out $ca-client.pem -days 1 ",
                   "-extfile client.ext; done");
  // The temporary directory's path holds no quote, so the script can be single-quoted.
  FILE* pipe = popen(absl::StrCat("bash -c '", script, "' 2>&1").c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("cannot run openssl");
  std::string output;
  char buffer[1024];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  if (pclose(pipe) != 0) {
    return absl::InternalError(absl::StrCat("openssl failed: ", output));
  }
  return absl::OkStatus();
}

}  // namespace objgate::test_support
