// The objgate gateway: storage.v1.ObjectStorage over gRPC in front of an object store
// that speaks the REST dialect or S3. Every flag can also be set through the environment variable
// named in its help, for containers; a flag on the command line wins.
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/command_line.h"
#include "server/gateway.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port for the gRPC API; port 0 picks a free port");
ABSL_FLAG(std::string, upstream, "http://127.0.0.1:9000",
          "base URL of the object store, http:// or https://: the REST store's, or the S3 "
          "endpoint's (scheme://host[:port]) with --upstream_dialect=s3");
ABSL_FLAG(std::string, upstream_dialect, "rest",
          "what the upstream speaks: rest (MinIO Enterprise REST) or s3 (AWS S3, MinIO, Ceph "
          "RGW; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, else the shared "
          "credentials file, AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile "
          "AWS_PROFILE; the file is reread on SIGHUP)");
ABSL_FLAG(std::string, s3_bucket, "",
          "S3 bucket of every tenant's objects, each under the key prefix TENANT/; with "
          "{tenant} in it (objgate-{tenant}), a bucket per tenant; required with s3");
ABSL_FLAG(std::string, s3_region, "us-east-1", "S3 region, as the signature names it");
ABSL_FLAG(std::string, s3_addressing, "path",
          "path (http://host/BUCKET/KEY) or virtual (http://BUCKET.host/KEY)");
ABSL_FLAG(int64_t, s3_part_bytes, 8 << 20,
          "S3 uploads larger than this go up in parts of this size, one at a time, each "
          "retried from memory: every upload stream holds one part (parts in flight: 1) on "
          "top of the ~3 MiB any upload holds; 5 MiB to 5 GiB");
ABSL_FLAG(std::string, s3_store_conditions, "put_object",
          "which conditional requests the S3 store enforces: put_object (every S3 store, "
          "Ceph RGW 16 among them: conditional uploads up to --s3_part_bytes, no "
          "conditional deletes, copies with a source etag streamed through the gateway) or "
          "all (AWS S3, MinIO: also multipart completions, deletes and CopyObject)");
ABSL_FLAG(int, pool_size, 64,
          "most connections kept open to the upstream; calls beyond wait for one");
ABSL_FLAG(int, max_retries, 3, "retries of a failed idempotent or replayable upstream call");
ABSL_FLAG(absl::Duration, base_delay, absl::Seconds(1),
          "wait before the first retry; doubles each retry, with jitter");
ABSL_FLAG(absl::Duration, max_delay, absl::Seconds(30),
          "longest single wait between retries, Retry-After included");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(5),
          "longest wait for a TCP (and TLS) connection to the upstream");
ABSL_FLAG(int, download_chunk_bytes, 1 << 20, "bytes per Download data message");
ABSL_FLAG(bool, verify_download_checksums, true,
          "end a whole object that does not match the upstream's declared SHA-256 with "
          "DATA_LOSS, hashing every byte where the upstream declares no CRC32C; false passes "
          "the declaration on in the trailer for the caller to check (the objgate clients "
          "do), which saves the gateway its SHA-256 work, about 0.6 CPU-seconds per GiB. A "
          "declared CRC32C is checked either way");
ABSL_FLAG(int64_t, replay_buffer_bytes, 1 << 20,
          "uploads up to this size are retried from memory after an upstream failure; larger "
          "ones fail with UNAVAILABLE for the caller to retry");
ABSL_FLAG(int, max_message_bytes, 4 << 20, "largest gRPC message accepted from a caller");
ABSL_FLAG(bool, http2, false, "offer HTTP/2 to the upstream (ALPN on https, h2c on http)");
ABSL_FLAG(std::string, upstream_ca_bundle, "",
          "PEM file of CAs that sign the upstream's certificate; the system store when empty");
ABSL_FLAG(bool, upstream_insecure_skip_verify, false,
          "do not verify the upstream's TLS certificate; for tests only");
ABSL_FLAG(absl::Duration, health_check_interval, absl::Seconds(5),
          "how often upstream readiness is probed for grpc.health.v1.Health");
ABSL_FLAG(absl::Duration, drain_delay, absl::ZeroDuration(),
          "on SIGTERM or SIGINT, how long to go on serving every call while grpc.health.v1 "
          "reports NOT_SERVING, so that load balancers' health checks take the gateway out "
          "before it stops listening; set it above the balancer's time to notice (interval "
          "times failures). --grace_period follows; a second signal ends the delay early");
ABSL_FLAG(absl::Duration, grace_period, absl::Seconds(10),
          "on SIGTERM or SIGINT, how long calls in flight may run before they are cancelled");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate (chain) for TLS on the gRPC listener; plaintext when empty");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CAs whose client certificates are required (mutual TLS)");
ABSL_FLAG(std::string, credentials_file, "",
          "file of bearer tokens and the tenants each may act as; when set, object calls need "
          "`authorization: Bearer TOKEN`; reread on SIGHUP");
ABSL_FLAG(int, tenant_max_concurrent_calls, 0,
          "calls one tenant may have in flight; more are RESOURCE_EXHAUSTED; 0 for no limit");
ABSL_FLAG(double, tenant_calls_per_second, 0,
          "calls one tenant may start per second (bursts of --tenant_burst); more are "
          "RESOURCE_EXHAUSTED; 0 for no limit");
ABSL_FLAG(int, tenant_burst, 10, "burst size of --tenant_calls_per_second");
ABSL_FLAG(int, max_concurrent_streams, 0,
          "calls served at once per caller connection; 0 for gRPC's default");
ABSL_FLAG(bool, access_log, true, "write one line per call to stderr, at log level info");
ABSL_FLAG(std::string, log_level, "info",
          "least severe of the gateway's stderr messages to write: error, warning or info "
          "(info includes the access log)");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port to serve Prometheus metrics on, at GET /metrics; port 0 picks a free port; "
          "empty for none");

namespace {

// How long past the grace period the process waits for calls that are being cut off.
constexpr absl::Duration kExitMargin = absl::Milliseconds(500);

// Severities of the gateway's own stderr messages, least verbose first.
enum class LogLevel { kError, kWarning, kInfo };

std::optional<LogLevel> ParseLogLevel(absl::string_view name) {
  if (name == "error") return LogLevel::kError;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "info") return LogLevel::kInfo;
  return std::nullopt;
}

LogLevel log_threshold = LogLevel::kInfo;

void Log(LogLevel level, const std::string& message) {
  static constexpr const char* kLabels[] = {"error: ", "warning: ", ""};
  if (level <= log_threshold) {
    std::fprintf(stderr, "gateway: %s%s\n", kLabels[static_cast<int>(level)], message.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves deadlock detection on: every
  // absl::Mutex lock, ours and gRPC's, then updates a global lock graph (3.5% of the
  // gateway's CPU under small-object load). The tests keep it on and check lock order.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  objgate::ParseProgramCommandLine(
      argc, argv, "server/main.cc", "OBJGATE_",
      "gateway: the objgate gRPC gateway (storage.v1.ObjectStorage) in front of an object "
      "store that speaks the MinIO Enterprise REST dialect or S3.\n"
      "Usage: gateway [--listen=HOST:PORT] [--upstream=URL] [flags]\n"
      "       gateway --upstream_dialect=s3 --upstream=URL --s3_bucket=NAME [flags]\n");
  if (std::optional<LogLevel> level = ParseLogLevel(absl::GetFlag(FLAGS_log_level))) {
    log_threshold = *level;
  } else {
    std::fprintf(stderr, "gateway: --log_level must be error, warning or info\n");
    return 2;
  }

  // Signals are taken by sigwait below; block them before any thread starts so that
  // none of gRPC's or libcurl's threads receives them.
  sigset_t handled_signals;
  sigemptyset(&handled_signals);
  sigaddset(&handled_signals, SIGINT);
  sigaddset(&handled_signals, SIGTERM);
  sigaddset(&handled_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);
  // A caller or upstream that goes away mid-write must not kill the process.
  signal(SIGPIPE, SIG_IGN);

  objgate::GatewayOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.upstream_url = absl::GetFlag(FLAGS_upstream);
  const std::string dialect = absl::GetFlag(FLAGS_upstream_dialect);
  if (dialect == "s3") {
    options.dialect = objgate::UpstreamDialect::kS3;
  } else if (dialect != "rest") {
    std::fprintf(stderr, "gateway: --upstream_dialect must be rest or s3, got \"%s\"\n",
                 dialect.c_str());
    return 2;
  }
  options.s3.bucket = absl::GetFlag(FLAGS_s3_bucket);
  options.s3.region = absl::GetFlag(FLAGS_s3_region);
  const std::string addressing = absl::GetFlag(FLAGS_s3_addressing);
  if (addressing != "path" && addressing != "virtual") {
    std::fprintf(stderr, "gateway: --s3_addressing must be path or virtual, got \"%s\"\n",
                 addressing.c_str());
    return 2;
  }
  options.s3.virtual_host_addressing = addressing == "virtual";
  options.s3.part_bytes = absl::GetFlag(FLAGS_s3_part_bytes);
  const std::string conditions = absl::GetFlag(FLAGS_s3_store_conditions);
  if (conditions != "put_object" && conditions != "all") {
    std::fprintf(stderr, "gateway: --s3_store_conditions must be put_object or all, got \"%s\"\n",
                 conditions.c_str());
    return 2;
  }
  options.s3.store_enforces_all_conditions = conditions == "all";
  options.log_error = [](absl::string_view message) {
    Log(LogLevel::kError, std::string(message));
  };
  options.http.max_connections = static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_pool_size)));
  options.http.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  options.http.http2 = absl::GetFlag(FLAGS_http2);
  options.http.ca_bundle = absl::GetFlag(FLAGS_upstream_ca_bundle);
  options.http.verify_tls = !absl::GetFlag(FLAGS_upstream_insecure_skip_verify);
  options.retry.max_retries = absl::GetFlag(FLAGS_max_retries);
  options.retry.base_delay = absl::GetFlag(FLAGS_base_delay);
  options.retry.max_delay = absl::GetFlag(FLAGS_max_delay);
  options.service.download_chunk_bytes =
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_download_chunk_bytes)));
  options.service.download_checksums = absl::GetFlag(FLAGS_verify_download_checksums)
                                           ? objgate::DownloadChecksums::kVerify
                                           : objgate::DownloadChecksums::kPassThroughDeclared;
  options.service.gateway_version = OBJGATE_VERSION;
  options.replay_buffer_bytes = absl::GetFlag(FLAGS_replay_buffer_bytes);
  options.max_receive_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.health_check_interval = absl::GetFlag(FLAGS_health_check_interval);
  options.access_log =
      absl::GetFlag(FLAGS_access_log) && log_threshold >= LogLevel::kInfo ? stderr : nullptr;
  options.metrics_listen_address = absl::GetFlag(FLAGS_metrics_listen);
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.credentials_file = absl::GetFlag(FLAGS_credentials_file);
  options.tenant_limits.max_concurrent_calls = absl::GetFlag(FLAGS_tenant_max_concurrent_calls);
  options.tenant_limits.calls_per_second = absl::GetFlag(FLAGS_tenant_calls_per_second);
  options.tenant_limits.burst = absl::GetFlag(FLAGS_tenant_burst);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);

  if (absl::Status valid = options.Validate(); !valid.ok()) {
    std::fprintf(stderr, "gateway: --%s\n", std::string(valid.message()).c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<objgate::Gateway>> gateway =
      objgate::Gateway::Start(std::move(options));
  if (!gateway.ok()) {
    Log(LogLevel::kError, gateway.status().ToString());
    return absl::IsInvalidArgument(gateway.status()) ? 2 : 1;
  }
  // Scripts and tests wait for this line and read the port (and metrics URL) from it.
  const std::string metrics_url = (*gateway)->metrics_url();
  const std::string upstream = dialect == "s3"
                                   ? absl::StrCat("s3 ", absl::GetFlag(FLAGS_upstream), " bucket ",
                                                  absl::GetFlag(FLAGS_s3_bucket))
                                   : absl::GetFlag(FLAGS_upstream);
  std::printf("objgate gateway %s listening on %s (upstream %s%s)\n", OBJGATE_VERSION,
              (*gateway)->address().c_str(), upstream.c_str(),
              metrics_url.empty() ? "" : absl::StrCat(", metrics ", metrics_url).c_str());
  std::fflush(stdout);
  Log(LogLevel::kInfo, (*gateway)->security_description());
  if (const std::string aws = (*gateway)->upstream_credentials_description(); !aws.empty()) {
    Log(LogLevel::kInfo, absl::StrCat("S3 credentials: ", aws));
  }

  const auto reload_credentials = [&gateway] {
    absl::Status reloaded = (*gateway)->ReloadCredentials();
    if (reloaded.ok()) {
      Log(LogLevel::kInfo, "SIGHUP: credentials reloaded");
    } else {
      Log(LogLevel::kWarning, absl::StrCat("SIGHUP: credentials kept: ", reloaded.message()));
    }
  };
  int signal_number = 0;
  while (sigwait(&handled_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    reload_credentials();
  }
  if (const absl::Duration drain = absl::GetFlag(FLAGS_drain_delay); drain > absl::ZeroDuration()) {
    (*gateway)->Drain();
    Log(LogLevel::kInfo, absl::StrCat("signal ", signal_number,
                                      ", draining: NOT_SERVING, still serving for ",
                                      absl::FormatDuration(drain)));
    for (const absl::Time drained = absl::Now() + drain; absl::Now() < drained;) {
      const timespec wait = absl::ToTimespec(drained - absl::Now());
      const int received = sigtimedwait(&handled_signals, nullptr, &wait);
      if (received == SIGHUP) {
        reload_credentials();
      } else if (received >= 0 || errno != EINTR) {
        break;  // A second SIGTERM or SIGINT, or the delay is over.
      }
    }
  }
  const absl::Duration grace = absl::GetFlag(FLAGS_grace_period);
  Log(LogLevel::kInfo, absl::StrCat("signal ", signal_number, ", stopping; calls in flight have ",
                                    absl::FormatDuration(grace)));
  // Shutdown returns once every call has ended; gRPC cancels what is left at the deadline,
  // but a call stuck in the transport can take seconds more to unwind. The process owes
  // its supervisor an exit within the grace period, so it waits no longer than that.
  absl::Notification stopped;
  std::thread stopper([&] {
    (*gateway)->Shutdown(absl::Now() + grace);
    stopped.Notify();
  });
  stopper.detach();
  if (!stopped.WaitForNotificationWithTimeout(grace + kExitMargin)) {
    Log(LogLevel::kWarning, "calls still unwinding after the grace period; exiting");
  }
  // Every call has ended or been cut off, and every log line is written. Skip the
  // libraries' teardown at exit: gRPC joins its background threads there, which can take
  // seconds and would hold the process past its grace period for nothing.
  std::fflush(nullptr);
  std::_Exit(0);
}
