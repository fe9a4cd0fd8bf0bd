#ifndef OBJGATE_SERVER_GATEWAY_H_
#define OBJGATE_SERVER_GATEWAY_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/httpd/http_server.h"
#include "common/retry/backoff_policy.h"
#include "server/http/curl_http_client.h"
#include "server/http/instrumented_http_client.h"
#include "server/metrics/metric_registry.h"
#include "server/security/server_credentials.h"
#include "server/security/tenant_authenticator.h"
#include "server/security/tenant_limiter.h"
#include "server/service/access_log.h"
#include "server/service/call_metrics.h"
#include "server/service/call_observer.h"
#include "server/service/storage_service.h"
#include "server/upstream/aws_credentials.h"
#include "server/upstream/retrying_upstream.h"
#include "server/upstream/s3_upstream.h"
#include "server/upstream/upstream.h"

namespace objgate {

// The language the upstream speaks.
enum class UpstreamDialect {
  // The MinIO Enterprise REST dialect (server/upstream/rest_dialect.md).
  kRest,
  // S3 (AWS S3, MinIO, Ceph RGW), signed with SigV4.
  kS3,
};

struct GatewayOptions {
  // host:port to serve gRPC on; port 0 picks a free one.
  std::string listen_address = "127.0.0.1:50051";
  UpstreamDialect dialect = UpstreamDialect::kRest;
  // The REST store's base URL, or the S3 endpoint's.
  std::string upstream_url = "http://127.0.0.1:9000";
  // With UpstreamDialect::kS3: the bucket, region, addressing and part size (its
  // `endpoint` is `upstream_url`, and its `log_error` is `log_error`). Credentials come
  // from the environment or the shared credentials file (AwsCredentialsProvider).
  S3UpstreamOptions s3;
  // Where errors the operator must fix are reported (a misconfigured S3 bucket or
  // credentials); null for nowhere.
  std::function<void(absl::string_view message)> log_error;
  CurlHttpClientOptions http;
  RetryOptions retry;
  // Uploads up to this size are kept in memory while they stream, so a failed attempt can
  // be replayed; a larger upload that fails is UNAVAILABLE for the caller to retry. Small,
  // because every upload in flight holds up to this much.
  int64_t replay_buffer_bytes = 1 << 20;
  StorageServiceOptions service;
  // Largest gRPC message accepted from a caller.
  int max_receive_message_bytes = 4 << 20;
  // How often the upstream's readiness is probed for grpc.health.v1.Health.
  absl::Duration health_check_interval = absl::Seconds(5);
  // Where access log lines go; null for none.
  std::FILE* access_log = stderr;
  // Plaintext, TLS or mutual TLS on the gRPC listener.
  ListenerTlsOptions tls;
  // Bearer tokens and the tenants they grant (see TenantAuthenticator); empty: tenants
  // are not authenticated.
  std::string credentials_file;
  TenantLimits tenant_limits;
  // Calls served at once over one connection (HTTP/2 streams); 0 for gRPC's default.
  int max_concurrent_streams = 0;
  // host:port to serve Prometheus metrics on, at GET /metrics; empty for none.
  std::string metrics_listen_address;

  // INVALID_ARGUMENT naming the option (by the gateway's flag of the same name) and the
  // range it must be in; the one place where the gateway's configuration is checked. The
  // TLS and credentials files are checked where they are read, by the parts that read them
  // (MakeListenerCredentials, TenantAuthenticator), when the gateway starts.
  absl::Status Validate() const;
};

// The whole gateway in one object: the libcurl client and its pool, the dialect's upstream
// (REST or S3) with the retry layer around it, the gRPC service, the standard health service fed by
// a readiness probe, and server reflection that can describe every service it lists.
class Gateway {
 public:
  // INVALID_ARGUMENT when the options are not valid (GatewayOptions::Validate); another
  // error when a part cannot start (the port is taken, a certificate cannot be read).
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();

  // The address the server listens on, with the port it was given.
  const std::string& address() const { return address_; }
  // "http://HOST:PORT" of the metrics endpoint; empty when there is none.
  std::string metrics_url() const {
    return metrics_server_ == nullptr ? "" : metrics_server_->url();
  }

  // Reports NOT_SERVING on grpc.health.v1 from now on, whatever the upstream says, while
  // still serving every call: a load balancer's health checks take the gateway out before
  // Shutdown stops it listening, so no caller's new call meets a closed port. Idempotent.
  void Drain();

  // Stops accepting calls, lets calls in flight run until `deadline`, then cancels the
  // rest and returns once all have ended.
  void Shutdown(absl::Time deadline);

  CurlHttpClient::Stats HttpStats() const { return http_->GetStats(); }

  // "plaintext", "TLS" or "mutual TLS", and whether tenants are authenticated.
  const std::string& security_description() const { return security_description_; }

  // Rereads the tenants' credentials file and, on S3, the shared AWS credentials file,
  // keeping what is in force of a file that is not valid.
  absl::Status ReloadCredentials();

  // Where the upstream's credentials come from, without secrets; empty on REST.
  std::string upstream_credentials_description() const {
    return aws_credentials_ == nullptr ? "" : aws_credentials_->Describe();
  }

 private:
  explicit Gateway(GatewayOptions options) : options_(std::move(options)) {}
  // The upstream of options_.dialect, over instrumented_http_.
  absl::StatusOr<std::unique_ptr<Upstream>> MakeDialect(const BackoffPolicy& backoff);
  void ProbeReadinessUntilShutdown();
  // Ends the readiness prober, so that nothing reports SERVING again.
  void StopProbingReadiness();

  GatewayOptions options_;
  // Outlives every layer that updates it.
  metrics::MetricRegistry metrics_;
  std::unique_ptr<CurlHttpClient> http_;
  std::unique_ptr<InstrumentedHttpClient> instrumented_http_;
  std::unique_ptr<AwsCredentialsProvider> aws_credentials_;
  // The dialect's upstream, and the retry layer around it.
  std::unique_ptr<Upstream> dialect_;
  std::unique_ptr<RetryingUpstream> upstream_;
  std::unique_ptr<AccessLog> access_log_;
  std::unique_ptr<CallMetrics> call_metrics_;
  std::unique_ptr<CallObservers> call_observers_;
  std::unique_ptr<TenantAuthenticator> authenticator_;
  std::unique_ptr<TenantLimiter> limiter_;
  std::string security_description_;
  std::unique_ptr<StorageService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<httpd::HttpServer> metrics_server_;
  // Notified by Drain or Shutdown: the readiness prober stops.
  absl::Notification shutting_down_;
  bool shut_down_ = false;
  std::thread readiness_prober_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_GATEWAY_H_
