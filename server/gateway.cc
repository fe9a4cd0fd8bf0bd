#include "server/gateway.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "server/metrics/metrics_handler.h"
#include "server/upstream/rest_upstream.h"

namespace objgate {
namespace {

constexpr char kServiceName[] = "storage.v1.ObjectStorage";
constexpr absl::Duration kShutdownMargin = absl::Milliseconds(500);
constexpr int kStreamWindowBytes = 1 << 20;
constexpr absl::Duration kServerPollInterval = absl::Milliseconds(200);
constexpr int kMinDownloadChunkBytes = 1024;

// The connection pool's counts, read at each scrape.
void AddConnectionMetrics(const CurlHttpClient& http, metrics::MetricRegistry& registry) {
  registry.AddCollector([&http](metrics::ExpositionWriter& out) {
    const CurlHttpClient::Stats stats = http.GetStats();
    out.Family("objgate_upstream_connections",
               "Connections to the upstream in the pool, by state (in_use or idle).", "gauge");
    out.Sample("objgate_upstream_connections", {{"state", "in_use"}},
               static_cast<double>(stats.pool.in_use));
    out.Sample("objgate_upstream_connections", {{"state", "idle"}},
               static_cast<double>(stats.pool.idle));
    out.Family("objgate_upstream_connections_opened_total",
               "TCP connections opened to the upstream.", "counter");
    out.Sample("objgate_upstream_connections_opened_total", {},
               static_cast<double>(stats.connections_opened));
  });
}

}  // namespace

absl::Status GatewayOptions::Validate() const {
  if (listen_address.empty()) return absl::InvalidArgumentError("listen must be HOST:PORT");
  if (http.max_connections < 1) {
    return absl::InvalidArgumentError("pool_size must be at least 1");
  }
  if (max_receive_message_bytes < 2 * kMinDownloadChunkBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_message_bytes must be at least ", 2 * kMinDownloadChunkBytes));
  }
  if (service.download_chunk_bytes < kMinDownloadChunkBytes ||
      service.download_chunk_bytes > static_cast<size_t>(max_receive_message_bytes) / 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "download_chunk_bytes must be ", kMinDownloadChunkBytes, " to half of max_message_bytes (",
        max_receive_message_bytes / 2, "), got ", service.download_chunk_bytes));
  }
  if (replay_buffer_bytes < 0) {
    return absl::InvalidArgumentError("replay_buffer_bytes must be >= 0");
  }
  if (health_check_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("health_check_interval must be positive");
  }
  if (max_concurrent_streams < 0) {
    return absl::InvalidArgumentError("max_concurrent_streams must be >= 0");
  }
  if (tenant_limits.max_concurrent_calls < 0 || tenant_limits.calls_per_second < 0 ||
      (tenant_limits.calls_per_second > 0 && tenant_limits.burst < 1)) {
    return absl::InvalidArgumentError(
        "tenant_max_concurrent_calls and tenant_calls_per_second must be >= 0, and "
        "tenant_burst at least 1 when there is a rate");
  }
  if (!metrics_listen_address.empty()) {
    httpd::HttpServerOptions parsed;
    if (!httpd::ParseListenAddress(metrics_listen_address, parsed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics_listen must be HOST:PORT, got \"", metrics_listen_address, "\""));
    }
  }
  if (dialect == UpstreamDialect::kS3) {
    S3UpstreamOptions s3_options = s3;
    s3_options.endpoint = upstream_url;
    if (absl::Status valid = ValidateS3UpstreamOptions(s3_options); !valid.ok()) return valid;
  }
  return BackoffPolicy::Create(retry).status();
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  if (absl::Status valid = options.Validate(); !valid.ok()) return valid;
  std::unique_ptr<Gateway> gateway(new Gateway(std::move(options)));
  GatewayOptions& opts = gateway->options_;

  absl::StatusOr<BackoffPolicy> backoff = BackoffPolicy::Create(opts.retry);
  if (!backoff.ok()) return backoff.status();
  absl::StatusOr<std::unique_ptr<CurlHttpClient>> http = CurlHttpClient::Create(opts.http);
  if (!http.ok()) return http.status();
  gateway->http_ = *std::move(http);
  AddConnectionMetrics(*gateway->http_, gateway->metrics_);
  gateway->instrumented_http_ =
      std::make_unique<InstrumentedHttpClient>(*gateway->http_, gateway->metrics_);
  absl::StatusOr<std::unique_ptr<Upstream>> dialect = gateway->MakeDialect(*backoff);
  if (!dialect.ok()) return dialect.status();
  gateway->dialect_ = *std::move(dialect);
  gateway->upstream_ =
      std::make_unique<RetryingUpstream>(*gateway->dialect_, *backoff, RealClock::Instance(),
                                         static_cast<size_t>(opts.replay_buffer_bytes));
  gateway->access_log_ = std::make_unique<AccessLog>(opts.access_log);
  gateway->call_metrics_ = std::make_unique<CallMetrics>(gateway->metrics_);
  gateway->call_observers_ = std::make_unique<CallObservers>(
      std::vector<CallObserver*>{gateway->access_log_.get(), gateway->call_metrics_.get()});

  absl::StatusOr<ListenerCredentials> listener = MakeListenerCredentials(opts.tls);
  if (!listener.ok()) return listener.status();
  gateway->security_description_ = listener->description;
  if (!opts.credentials_file.empty()) {
    absl::StatusOr<std::unique_ptr<TenantAuthenticator>> authenticator =
        TenantAuthenticator::FromFile(opts.credentials_file);
    if (!authenticator.ok()) return authenticator.status();
    gateway->authenticator_ = *std::move(authenticator);
    opts.service.tenants.authenticator = gateway->authenticator_.get();
    absl::StrAppend(&gateway->security_description_, ", tenants authenticated by token");
  } else {
    absl::StrAppend(&gateway->security_description_, ", tenants not authenticated");
  }
  gateway->limiter_ = std::make_unique<TenantLimiter>(opts.tenant_limits, RealClock::Instance());
  if (gateway->limiter_->enabled()) opts.service.tenants.limiter = gateway->limiter_.get();
  // Resumable uploads go up in the dialect's parts: on S3 those of every other upload.
  if (opts.dialect == UpstreamDialect::kS3) opts.service.resumable_part_bytes = opts.s3.part_bytes;
  gateway->service_ = std::make_unique<StorageService>(*gateway->upstream_,
                                                       *gateway->call_observers_, opts.service);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(opts.listen_address, listener->credentials, &port);
  if (opts.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, opts.max_concurrent_streams);
  }
  builder.RegisterService(gateway->service_.get());
  builder.SetMaxReceiveMessageSize(opts.max_receive_message_bytes);
  // gRPC's bandwidth-delay probe keeps growing each stream's receive window, so a fast
  // uploader could park many MiB per stream in the gateway before the upstream reads them
  // (measured: +400 MiB for 8 concurrent 1 GiB uploads). A fixed 1 MiB window keeps
  // memory per stream bounded and still covers the round trip of a distant caller.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, kStreamWindowBytes);
  // Server reflection is the one service on gRPC's synchronous server, whose polling
  // threads notice a shutdown only when they wake, every 10 s by default; that would hold
  // the process well past a short grace period.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::CQ_TIMEOUT_MSEC,
                              absl::ToInt64Milliseconds(kServerPollInterval));
  gateway->server_ = builder.BuildAndStart();
  if (gateway->server_ == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", opts.listen_address, " (in use, or not an address)"));
  }
  const absl::string_view host =
      absl::string_view(opts.listen_address).substr(0, opts.listen_address.rfind(':'));
  gateway->address_ = absl::StrCat(host, ":", port);
  if (!opts.metrics_listen_address.empty()) {
    httpd::HttpServerOptions metrics_options;
    // Scrapers are few; each connection takes a thread.
    metrics_options.max_connections = 8;
    httpd::ParseListenAddress(opts.metrics_listen_address, metrics_options);  // validated
    absl::StatusOr<std::unique_ptr<httpd::HttpServer>> metrics_server =
        httpd::HttpServer::Start(metrics_options, metrics::MetricsHandler(gateway->metrics_));
    if (!metrics_server.ok()) return metrics_server.status();
    gateway->metrics_server_ = *std::move(metrics_server);
  }

  // NOT_SERVING until the first probe says the upstream is ready.
  auto* health = gateway->server_->GetHealthCheckService();
  health->SetServingStatus(false);
  gateway->readiness_prober_ =
      std::thread([g = gateway.get()] { g->ProbeReadinessUntilShutdown(); });
  return gateway;
}

absl::StatusOr<std::unique_ptr<Upstream>> Gateway::MakeDialect(const BackoffPolicy& backoff) {
  switch (options_.dialect) {
    case UpstreamDialect::kRest: {
      absl::StatusOr<std::unique_ptr<RestUpstream>> rest =
          RestUpstream::Create(*instrumented_http_, options_.upstream_url);
      if (!rest.ok()) return rest.status();
      return std::unique_ptr<Upstream>(*std::move(rest));
    }
    case UpstreamDialect::kS3: {
      absl::StatusOr<std::unique_ptr<AwsCredentialsProvider>> credentials =
          AwsCredentialsProvider::Create();
      if (!credentials.ok()) return credentials.status();
      aws_credentials_ = *std::move(credentials);
      S3UpstreamOptions s3 = options_.s3;
      s3.endpoint = options_.upstream_url;
      s3.log_error = options_.log_error;
      absl::StatusOr<std::unique_ptr<S3Upstream>> upstream = S3Upstream::Create(
          *instrumented_http_, *aws_credentials_, backoff, RealClock::Instance(), std::move(s3));
      if (!upstream.ok()) return upstream.status();
      return std::unique_ptr<Upstream>(*std::move(upstream));
    }
  }
  return absl::InvalidArgumentError("unknown upstream dialect");
}

void Gateway::ProbeReadinessUntilShutdown() {
  auto* health = server_->GetHealthCheckService();
  do {
    CallContext probe;
    probe.deadline = absl::Now() + std::min(options_.health_check_interval, absl::Seconds(5));
    const bool ready = dialect_->CheckReady(probe).ok();
    health->SetServingStatus(ready);
    health->SetServingStatus(kServiceName, ready);
  } while (!shutting_down_.WaitForNotificationWithTimeout(options_.health_check_interval));
}

void Gateway::StopProbingReadiness() {
  if (!shutting_down_.HasBeenNotified()) shutting_down_.Notify();
  if (readiness_prober_.joinable()) readiness_prober_.join();
}

void Gateway::Drain() {
  StopProbingReadiness();
  if (server_ == nullptr) return;
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(false);
  health->SetServingStatus(kServiceName, false);
}

void Gateway::Shutdown(absl::Time deadline) {
  shut_down_ = true;
  StopProbingReadiness();
  if (server_ != nullptr) {
    // Calls still running shortly before the deadline are ended by the service with
    // UNAVAILABLE, which callers retry; at the deadline gRPC cancels whatever is left.
    const absl::Duration margin =
        std::min(kShutdownMargin, std::max(absl::ZeroDuration(), deadline - absl::Now()) / 4);
    service_->BeginShutdown(deadline - margin);
    server_->GetHealthCheckService()->Shutdown();
    server_->Shutdown(absl::ToChronoTime(deadline));
    server_->Wait();
  }
  // Last, so that the drain can be watched.
  if (metrics_server_ != nullptr) metrics_server_->Stop();
}

absl::Status Gateway::ReloadCredentials() {
  absl::Status tenants = authenticator_ == nullptr ? absl::OkStatus() : authenticator_->Reload();
  absl::Status upstream =
      aws_credentials_ == nullptr ? absl::OkStatus() : aws_credentials_->Reload();
  if (!upstream.ok()) {
    return absl::Status(
        upstream.code(),
        absl::StrCat(
            "upstream credentials: ", upstream.message(),
            tenants.ok() ? "" : absl::StrCat("; tenant credentials: ", tenants.message())));
  }
  return tenants;
}

Gateway::~Gateway() {
  if (!shut_down_) Shutdown(absl::Now());
}

}  // namespace objgate
