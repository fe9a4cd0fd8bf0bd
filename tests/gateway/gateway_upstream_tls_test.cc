// The gateway to an upstream over TLS: nginx (from Debian) terminates TLS, and HTTP/2
// when offered, in front of the reference store. Certificate verification is on by default
// and takes a CA bundle flag; --http2 makes the gateway speak HTTP/2 where it is offered.

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/sha256.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/ports.h"
#include "tests/support/refstore_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificates.h"

namespace objgate::test_support {
namespace {

using ::testing::HasSubstr;

constexpr char kNginxConfig[] = R"(
# One process in the foreground, so the test owns it whole.
master_process off;
daemon off;
pid $DIR/nginx.pid;
error_log /dev/stdout notice;
events { worker_connections 256; }
http {
  log_format protocol '$server_protocol $request_method $status';
  access_log $DIR/access.log protocol;
  client_body_temp_path $DIR; proxy_temp_path $DIR; fastcgi_temp_path $DIR;
  uwsgi_temp_path $DIR; scgi_temp_path $DIR;
  upstream store { server $STORE; keepalive 16; }
  server {
    listen 127.0.0.1:$PORT ssl http2;
    ssl_certificate $CERTS/server.pem;
    ssl_certificate_key $CERTS/server.key;
    client_max_body_size 0;
    location / {
      proxy_pass http://store;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
      proxy_buffering off;
    }
  }
}
)";


class GatewayUpstreamTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status made = certs_.Make();
    ASSERT_TRUE(made.ok()) << made;
    absl::StatusOr<std::unique_ptr<Subprocess>> store = StartRefstore(store_dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);

    const int port = FreeLoopbackPort();
    const std::string config = absl::StrReplaceAll(
        kNginxConfig, {{"$DIR", nginx_dir_.path()},
                       {"$CERTS", certs_("").substr(0, certs_("").size() - 1)},
                       {"$STORE", store_->address().substr(std::string("http://").size())},
                       {"$PORT", std::to_string(port)}});
    std::ofstream(nginx_dir_.Sub("nginx.conf")) << config;
    SubprocessOptions nginx;
    nginx.binary = "/usr/sbin/nginx";
    nginx.args = {"-p", nginx_dir_.path(), "-c", nginx_dir_.Sub("nginx.conf")};
    // nginx says nothing when it is ready; its last start-up notice comes after the
    // listening socket is bound, which is what the gateway needs.
    nginx.ready_pattern = "getrlimit";
    absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(nginx);
    ASSERT_TRUE(started.ok()) << started.status();
    nginx_ = *std::move(started);
    upstream_url_ = absl::StrCat("https://127.0.0.1:", port);
  }

  std::unique_ptr<GatewayHarness> StartGateway(std::vector<std::string> args) {
    GatewayHarnessOptions options;
    options.upstream_url = upstream_url_;
    options.gateway_args = std::move(args);
    options.gateway_args.push_back("--max_retries=0");
    absl::StatusOr<std::unique_ptr<GatewayHarness>> harness = GatewayHarness::Start(options);
    EXPECT_TRUE(harness.ok()) << harness.status();
    return harness.ok() ? *std::move(harness) : nullptr;
  }

  std::string AccessLog() const {
    std::ifstream file(nginx_dir_.Sub("access.log"));
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  TestCertificates certs_;
  TempDir store_dir_;
  TempDir nginx_dir_;
  std::unique_ptr<Subprocess> store_;
  std::unique_ptr<Subprocess> nginx_;
  std::string upstream_url_;
};

TEST_F(GatewayUpstreamTlsTest, VerifiesTheUpstreamAgainstTheGivenCaBundle) {
  std::unique_ptr<GatewayHarness> gateway =
      StartGateway({"--upstream_ca_bundle=" + certs_("ca.pem")});
  ASSERT_NE(gateway, nullptr);
  const std::string data(3 << 20, 'z');
  UploadOutcome up = Upload(gateway->stub(), "tls", "over-tls", data);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  DownloadOutcome down = Download(gateway->stub(), "tls", "over-tls");
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256::Hex(down.data), Sha256::Hex(data));
  EXPECT_THAT(AccessLog(), HasSubstr("HTTP/1.1 GET 200"));
}

TEST_F(GatewayUpstreamTlsTest, RefusesAnUpstreamCertificateItCannotVerify) {
  // The system's roots do not include the test's CA: verification is on by default.
  std::unique_ptr<GatewayHarness> gateway = StartGateway({});
  ASSERT_NE(gateway, nullptr);
  DownloadOutcome down = Download(gateway->stub(), "tls", "anything");
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.status.error_message(), HasSubstr("certificate was refused"));
}

TEST_F(GatewayUpstreamTlsTest, SpeaksHttp2WhereTheUpstreamOffersIt) {
  std::unique_ptr<GatewayHarness> gateway =
      StartGateway({"--upstream_ca_bundle=" + certs_("ca.pem"), "--http2"});
  ASSERT_NE(gateway, nullptr);
  const std::string data(1 << 20, 'h');
  ASSERT_TRUE(Upload(gateway->stub(), "h2", "k", data).status.ok());
  DownloadOutcome down = Download(gateway->stub(), "h2", "k");
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.data, data);
  EXPECT_THAT(AccessLog(), HasSubstr("HTTP/2.0 PUT 200"));
  EXPECT_THAT(AccessLog(), HasSubstr("HTTP/2.0 GET 200"));
}

}  // namespace
}  // namespace objgate::test_support
