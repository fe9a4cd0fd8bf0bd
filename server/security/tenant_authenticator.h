#ifndef OBJGATE_SERVER_SECURITY_TENANT_AUTHENTICATOR_H_
#define OBJGATE_SERVER_SECURITY_TENANT_AUTHENTICATOR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace objgate {

// Which tenants each bearer token may act as, from a credentials file:
//
//   # token                              tenants it may act as
//   3f9c0a7e5d1b44c8a2e6f0b9c1d7e5a3     550e8400-e29b-41d4-a716-446655440000
//   ops-token-with-two-tenants           tenant-a tenant-b
//
// One token per line, then one or more tenant ids, separated by spaces or tabs; blank
// lines and lines starting with '#' are ignored. Tokens are 16 to 256 printable ASCII
// characters. Only the tokens' SHA-256 digests are kept in memory, and a presented token
// is matched by digest and then compared in constant time.
class TenantCredentials {
 public:
  // INVALID_ARGUMENT naming the line for anything malformed; a file with a mistake is
  // refused whole, so a typo never locks out every other tenant silently.
  static absl::StatusOr<TenantCredentials> Parse(absl::string_view text);

  // The tenants `token` grants, or nullopt for an unknown token.
  std::optional<std::vector<std::string>> TenantsOf(absl::string_view token) const;

  size_t size() const { return grants_.size(); }

 private:
  // SHA-256 digest (raw bytes) of a token -> the tenants it grants.
  absl::flat_hash_map<std::string, std::vector<std::string>> grants_;
};

// Decides, for each call, which tenant it acts as when authentication is on: the caller
// presents `authorization: Bearer TOKEN` and may name a tenant in `x-tenant-id`.
//   - no or malformed authorization, unknown token        -> UNAUTHENTICATED
//   - x-tenant-id names a tenant the token does not grant -> PERMISSION_DENIED
//   - no x-tenant-id and the token grants exactly one     -> that tenant
//   - no x-tenant-id and the token grants several         -> INVALID_ARGUMENT
// The gateway sends upstream the tenant decided here, never what the caller claimed.
// Reload() rereads the file (on SIGHUP); calls in flight keep their decision.
class TenantAuthenticator {
 public:
  static absl::StatusOr<std::unique_ptr<TenantAuthenticator>> FromFile(std::string path);

  // `authorization` is the metadata value as sent, `claimed_tenant` empty when absent.
  absl::StatusOr<std::string> Authenticate(std::optional<absl::string_view> authorization,
                                           absl::string_view claimed_tenant) const;

  // Rereads the file. On error the tokens in force stay in force.
  absl::Status Reload();

 private:
  TenantAuthenticator(std::string path, TenantCredentials credentials)
      : path_(std::move(path)), credentials_(std::move(credentials)) {}

  const std::string path_;
  mutable absl::Mutex mu_;
  TenantCredentials credentials_ ABSL_GUARDED_BY(mu_);
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SECURITY_TENANT_AUTHENTICATOR_H_
