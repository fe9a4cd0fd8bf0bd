#include "server/service/service_call.h"

#include <chrono>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/validation.h"

namespace objgate {
namespace {

constexpr absl::string_view kTenantMetadata = "x-tenant-id";
constexpr absl::string_view kRequestIdMetadata = "x-request-id";
constexpr absl::string_view kAuthorizationMetadata = "authorization";

std::optional<std::string> Metadata(const grpc::ServerContextBase& context,
                                    absl::string_view name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(name.data(), name.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

std::string NewRequestId() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* bitgen = new absl::BitGen();
  uint64_t high, low;
  {
    absl::MutexLock lock(&mu);
    high = absl::Uniform<uint64_t>(*bitgen);
    low = absl::Uniform<uint64_t>(*bitgen);
  }
  return absl::StrCat(absl::Hex(high, absl::kZeroPad16), absl::Hex(low, absl::kZeroPad16));
}

}  // namespace

ServiceCall::ServiceCall(grpc::CallbackServerContext& context, absl::string_view method,
                         CallObserver& observer, const ShutdownCutoff& shutdown)
    : server_context_(context), observer_(observer), shutdown_(shutdown), start_(absl::Now()) {
  record_.method = std::string(method);
  observer_.OnCallStart(method);
  const auto deadline = context.deadline();
  call_context_.deadline = deadline == std::chrono::system_clock::time_point::max()
                               ? absl::InfiniteFuture()
                               : absl::FromChrono(deadline);
  call_context_.is_cancelled = [&context, &shutdown] {
    return context.IsCancelled() || shutdown.Passed();
  };
  // The caller's request id is kept when it sent a sane one, so that its logs, ours and
  // the upstream's line up.
  std::optional<std::string> request_id = Metadata(context, kRequestIdMetadata);
  call_context_.request_id =
      request_id && ValidateTenantId(*request_id).ok() ? *std::move(request_id) : NewRequestId();
  call_context_.stats = &stats_;
  record_.request_id = call_context_.request_id;
}

ServiceCall::~ServiceCall() {
  record_.duration = absl::Now() - start_;
  record_.retries = stats_.retries;
  record_.resumes = stats_.resumes;
  observer_.OnCallEnd(record_);
}

absl::Status ServiceCall::AdmitTenant(const TenantPolicy& policy) {
  std::optional<std::string> claimed = Metadata(server_context_, kTenantMetadata);
  if (claimed) {
    if (absl::Status valid = ValidateTenantId(*claimed); !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("x-tenant-id: ", valid.message()));
    }
  }
  if (policy.authenticator != nullptr) {
    std::optional<std::string> authorization = Metadata(server_context_, kAuthorizationMetadata);
    absl::StatusOr<std::string> tenant = policy.authenticator->Authenticate(
        authorization ? std::optional<absl::string_view>(*authorization) : std::nullopt,
        claimed.value_or(""));
    if (!tenant.ok()) return tenant.status();
    call_context_.tenant_id = *std::move(tenant);
  } else if (claimed) {
    call_context_.tenant_id = *std::move(claimed);
  } else {
    return absl::UnauthenticatedError("missing x-tenant-id metadata: object calls need a tenant");
  }
  record_.tenant_id = call_context_.tenant_id;
  if (policy.limiter == nullptr) return absl::OkStatus();
  absl::StatusOr<TenantLimiter::Permit> permit = policy.limiter->Admit(call_context_.tenant_id);
  if (!permit.ok()) return permit.status();
  permit_.emplace(*std::move(permit));
  return absl::OkStatus();
}

grpc::Status ServiceCall::Finish(absl::Status status) {
  if (absl::IsCancelled(status) && shutdown_.Passed()) {
    status = absl::UnavailableError("the gateway is shutting down; retry the call");
  }
  record_.status = status;
  // absl::StatusCode mirrors grpc::StatusCode value for value.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace objgate
