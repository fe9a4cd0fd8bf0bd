#include "tools/bench/reference_servers.h"

#include <csignal>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/support/ports.h"

namespace objgate::bench {
namespace {

constexpr char kNginxConfig[] =
    R"(# objgate_bench: nginx as an HTTP reverse proxy in front of the store.
daemon off;
worker_processes auto;
pid $DIR/nginx.pid;
error_log /dev/stdout notice;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $DIR; proxy_temp_path $DIR; fastcgi_temp_path $DIR;
  uwsgi_temp_path $DIR; scgi_temp_path $DIR;
  upstream store { server $STORE; keepalive 64; }
  server {
    listen 127.0.0.1:$PORT;
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

}  // namespace

ReferenceServer::~ReferenceServer() {
  // nginx's master stops its workers on SIGTERM; a SIGKILL would leave them behind.
  if (process_ != nullptr) (void)process_->Stop(SIGTERM);
}

absl::StatusOr<std::unique_ptr<ReferenceServer>> StartNginxProxy(const std::string& nginx_binary,
                                                                 const std::string& store_url,
                                                                 const std::string& dir) {
  if (!absl::StartsWith(store_url, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("nginx fronts an http:// store, not ", store_url));
  }
  const int port = test_support::FreeLoopbackPort();
  const std::string config_path = absl::StrCat(dir, "/nginx.conf");
  std::ofstream(config_path) << absl::StrReplaceAll(
      kNginxConfig, {{"$DIR", dir},
                     {"$STORE", store_url.substr(std::string("http://").size())},
                     {"$PORT", std::to_string(port)}});
  test_support::SubprocessOptions options;
  options.binary = nginx_binary;
  options.args = {"-p", dir, "-c", config_path};
  // nginx says nothing once it serves; its workers start after the socket is bound.
  options.ready_pattern = "start worker process";
  absl::StatusOr<std::unique_ptr<test_support::Subprocess>> process =
      test_support::Subprocess::Start(options);
  if (!process.ok()) return process.status();
  return std::make_unique<ReferenceServer>(*std::move(process),
                                           absl::StrCat("http://127.0.0.1:", port));
}

absl::StatusOr<std::unique_ptr<ReferenceServer>> StartGrpcCeiling(const std::string& binary) {
  test_support::SubprocessOptions options;
  options.binary = binary;
  options.args = {"--listen=127.0.0.1:0"};
  absl::StatusOr<std::unique_ptr<test_support::Subprocess>> process =
      test_support::Subprocess::Start(options);
  if (!process.ok()) return process.status();
  std::string address = (*process)->address();
  return std::make_unique<ReferenceServer>(*std::move(process), std::move(address));
}

absl::StatusOr<std::unique_ptr<ReferenceServer>> StartUpstreamFloor(const std::string& binary,
                                                                    const std::string& store_url,
                                                                    const std::string& http) {
  test_support::SubprocessOptions options;
  options.binary = binary;
  options.args = {"--listen=127.0.0.1:0", "--upstream=" + store_url, "--http=" + http};
  absl::StatusOr<std::unique_ptr<test_support::Subprocess>> process =
      test_support::Subprocess::Start(options);
  if (!process.ok()) return process.status();
  std::string address = (*process)->address();
  return std::make_unique<ReferenceServer>(*std::move(process), std::move(address));
}

}  // namespace objgate::bench
