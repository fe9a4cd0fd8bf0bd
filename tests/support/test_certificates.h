#ifndef OBJGATE_TESTS_SUPPORT_TEST_CERTIFICATES_H_
#define OBJGATE_TESTS_SUPPORT_TEST_CERTIFICATES_H_

#include <string>

#include "absl/status/status.h"
#include "tests/support/temp_dir.h"

namespace objgate::test_support {

// Certificates made for one test with the openssl command, in a directory of their own:
//   ca.pem, ca.key                 a CA
//   server.pem, server.key         signed by it, for 127.0.0.1 and localhost
//   ca-client.pem, ca-client.key   a client certificate signed by it
//   other-ca.pem, other-ca-client.pem, other-ca-client.key
//                                  a second CA and its client, which nothing trusts
class TestCertificates {
 public:
  // Makes them all; an error carries what openssl said.
  absl::Status Make();
  // The path of one of the files above.
  std::string operator()(const std::string& name) const { return dir_.Sub(name); }

 private:
  TempDir dir_;
};

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_SUPPORT_TEST_CERTIFICATES_H_
