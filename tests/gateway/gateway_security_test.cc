// Security through real processes: TLS and mutual TLS with certificates the test makes
// with openssl, bearer-token tenants that can never reach each other's objects, and
// per-tenant limits.
#include <signal.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificates.h"

namespace objgate::test_support {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::unique_ptr<Client> NewClient(GatewayHarness& harness, ClientConfig config) {
  config.target = harness.gateway().address();
  if (config.tenant_id.empty()) config.tenant_id = "tenant-a";
  config.max_retries = 0;
  config.timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(config);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

TEST(GatewaySecurityTest, TlsRoundTripAndRefusals) {
  TestCertificates certs;
  absl::Status made = certs.Make();
  ASSERT_TRUE(made.ok()) << made;
  GatewayHarnessOptions options;
  options.gateway_args = {"--tls_cert=" + certs("server.pem"), "--tls_key=" + certs("server.key")};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();

  ClientConfig trusting;
  trusting.ca_file = certs("ca.pem");
  std::unique_ptr<Client> client = NewClient(**harness, trusting);
  ASSERT_TRUE(client->Upload("secret", "over TLS").ok());
  EXPECT_EQ(*client->Download("secret"), "over TLS");

  ClientConfig wrong_ca;
  wrong_ca.ca_file = certs("other-ca.pem");
  EXPECT_TRUE(absl::IsUnavailable(NewClient(**harness, wrong_ca)->Download("secret").status()));

  ClientConfig plaintext;
  EXPECT_TRUE(absl::IsUnavailable(NewClient(**harness, plaintext)->Download("secret").status()));
}

TEST(GatewaySecurityTest, MutualTlsNeedsAClientCertificateFromTheTrustedCa) {
  TestCertificates certs;
  absl::Status made = certs.Make();
  ASSERT_TRUE(made.ok()) << made;
  GatewayHarnessOptions options;
  options.gateway_args = {"--tls_cert=" + certs("server.pem"), "--tls_key=" + certs("server.key"),
                          "--tls_client_ca=" + certs("ca.pem")};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();

  ClientConfig with_cert;
  with_cert.ca_file = certs("ca.pem");
  with_cert.cert_file = certs("ca-client.pem");
  with_cert.key_file = certs("ca-client.key");
  std::unique_ptr<Client> client = NewClient(**harness, with_cert);
  ASSERT_TRUE(client->Upload("k", "mutual").ok());
  EXPECT_EQ(*client->Download("k"), "mutual");

  ClientConfig without_cert;
  without_cert.ca_file = certs("ca.pem");
  EXPECT_FALSE(NewClient(**harness, without_cert)->Download("k").ok());

  ClientConfig foreign_cert = with_cert;
  foreign_cert.cert_file = certs("other-ca-client.pem");
  foreign_cert.key_file = certs("other-ca-client.key");
  EXPECT_FALSE(NewClient(**harness, foreign_cert)->Download("k").ok());
}

class GatewayTokenTest : public ::testing::Test {
 protected:
  static constexpr char kTokenA[] = "token-of-tenant-a-0123456789";
  static constexpr char kTokenB[] = "token-of-tenant-b-0123456789";

  void SetUp() override {
    WriteCredentials(absl::StrCat(kTokenA, " tenant-a\n", kTokenB, " tenant-b\n"));
    GatewayHarnessOptions options;
    options.gateway_args = {"--credentials_file=" + dir_.Sub("credentials")};
    absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
    ASSERT_TRUE(harness.ok()) << harness.status();
    harness_ = *std::move(harness);
  }
  void WriteCredentials(const std::string& text) {
    std::ofstream(dir_.Sub("credentials"), std::ios::trunc) << text;
  }
  std::unique_ptr<Client> As(const std::string& tenant, const std::string& token) {
    ClientConfig config;
    config.tenant_id = tenant;
    config.bearer_token = token;
    return NewClient(*harness_, config);
  }

  TempDir dir_;
  std::unique_ptr<GatewayHarness> harness_;
};

TEST_F(GatewayTokenTest, TenantANeverReachesTenantBsObjects) {
  std::unique_ptr<Client> a = As("tenant-a", kTokenA);
  std::unique_ptr<Client> b = As("tenant-b", kTokenB);
  ASSERT_TRUE(b->Upload("b-only", "b's bytes").ok());

  // With A's token, claiming B is refused for every operation.
  std::unique_ptr<Client> a_as_b = As("tenant-b", kTokenA);
  EXPECT_TRUE(absl::IsPermissionDenied(a_as_b->Download("b-only").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(a_as_b->List().status()));
  EXPECT_TRUE(absl::IsPermissionDenied(a_as_b->Upload("b-only", "overwrite").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(a_as_b->Delete("b-only")));

  // Acting as itself, A sees only its own namespace.
  EXPECT_TRUE(absl::IsNotFound(a->Download("b-only").status()));
  EXPECT_THAT(*a->List(), IsEmpty());
  EXPECT_TRUE(absl::IsNotFound(a->Delete("b-only")));
  ASSERT_TRUE(a->Upload("b-only", "a's own object of the same name").ok());

  EXPECT_EQ(*b->Download("b-only"), "b's bytes");
}

TEST_F(GatewayTokenTest, MissingOrUnknownTokensAreUnauthenticated) {
  absl::Status none = As("tenant-a", "")->Download("k").status();
  EXPECT_TRUE(absl::IsUnauthenticated(none)) << none;
  absl::Status unknown = As("tenant-a", "not-a-token-the-gateway-knows")->Download("k").status();
  EXPECT_TRUE(absl::IsUnauthenticated(unknown)) << unknown;
  EXPECT_THAT(std::string(unknown.message()), Not(HasSubstr("not-a-token")));
  // Server-wide calls need no token.
  EXPECT_TRUE(As("tenant-a", "")->GetServerInfo().ok());
}

TEST_F(GatewayTokenTest, SighupReloadsTheCredentials) {
  constexpr char kTokenC[] = "token-of-tenant-c-0123456789";
  std::unique_ptr<Client> c = As("tenant-c", kTokenC);
  EXPECT_TRUE(absl::IsUnauthenticated(c->Upload("k", "x").status()));
  WriteCredentials(absl::StrCat(kTokenC, " tenant-c\n"));
  ASSERT_EQ(kill(harness_->gateway().pid(), SIGHUP), 0);
  // The reload is asynchronous to this test; poll the gateway's answer, not a clock.
  absl::Status status;
  for (int i = 0; i < 200; ++i) {
    status = c->Upload("k", "x").status();
    if (status.ok()) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(absl::IsUnauthenticated(As("tenant-a", kTokenA)->Download("k").status()));
}

TEST(GatewayLimitsTest, TenantOverItsConcurrencyLimitIsResourceExhausted) {
  GatewayHarnessOptions options;
  options.gateway_args = {"--tenant_max_concurrent_calls=1"};
  absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
  ASSERT_TRUE(harness.ok()) << harness.status();
  ASSERT_TRUE(Upload((*harness)->stub(), "busy", "big", std::string(8 << 20, 'x')).status.ok());

  // A download left open holds the tenant's one slot.
  auto context = TenantContext("busy");
  storage::v1::DownloadRequest request;
  request.set_key("big");
  auto reader = (*harness)->stub().Download(context.get(), request);
  storage::v1::DownloadResponse message;
  ASSERT_TRUE(reader->Read(&message));

  DownloadOutcome second = Download((*harness)->stub(), "busy", "big");
  EXPECT_EQ(second.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(second.status.error_message(), HasSubstr("calls in flight"));
  EXPECT_TRUE(Download((*harness)->stub(), "other", "nothing").status.error_code() ==
              grpc::StatusCode::NOT_FOUND)
      << "another tenant is not limited";
  context->TryCancel();
  reader->Finish();
}

}  // namespace
}  // namespace objgate::test_support
