#include "server/security/tenant_authenticator.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/validation.h"

namespace objgate {
namespace {

constexpr size_t kMinTokenChars = 16;
constexpr size_t kMaxTokenChars = 256;

std::string Digest(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

bool IsTokenText(absl::string_view token) {
  if (token.size() < kMinTokenChars || token.size() > kMaxTokenChars) return false;
  for (char c : token) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<TenantCredentials> TenantCredentials::Parse(absl::string_view text) {
  TenantCredentials credentials;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    // The token itself never appears in a message: it is a secret.
    if (fields.size() < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("credentials line ", line_number, ": a token needs at least one tenant"));
    }
    if (!IsTokenText(fields[0])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "credentials line ", line_number, ": a token must be ", kMinTokenChars, " to ",
          kMaxTokenChars, " printable characters"));
    }
    std::vector<std::string> tenants;
    for (size_t i = 1; i < fields.size(); ++i) {
      if (absl::Status valid = ValidateTenantId(fields[i]); !valid.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("credentials line ", line_number, ": ", valid.message()));
      }
      tenants.emplace_back(fields[i]);
    }
    if (!credentials.grants_.emplace(Digest(fields[0]), std::move(tenants)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("credentials line ", line_number, ": the token appears twice"));
    }
  }
  return credentials;
}

std::optional<std::vector<std::string>> TenantCredentials::TenantsOf(
    absl::string_view token) const {
  const std::string digest = Digest(token);
  auto it = grants_.find(digest);
  // The digest lookup already matched; the constant-time comparison keeps the final check
  // free of early exits whatever the map does.
  if (it == grants_.end() ||
      CRYPTO_memcmp(it->first.data(), digest.data(), digest.size()) != 0) {
    return std::nullopt;
  }
  return it->second;
}

absl::StatusOr<std::unique_ptr<TenantAuthenticator>> TenantAuthenticator::FromFile(
    std::string path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read credentials file ", path));
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<TenantCredentials> credentials = TenantCredentials::Parse(text.str());
  if (!credentials.ok()) {
    return absl::Status(credentials.status().code(),
                        absl::StrCat(path, ": ", credentials.status().message()));
  }
  return std::unique_ptr<TenantAuthenticator>(
      new TenantAuthenticator(std::move(path), *std::move(credentials)));
}

absl::Status TenantAuthenticator::Reload() {
  absl::StatusOr<std::unique_ptr<TenantAuthenticator>> fresh = FromFile(path_);
  if (!fresh.ok()) return fresh.status();
  absl::MutexLock lock(&mu_);
  absl::MutexLock fresh_lock(&(*fresh)->mu_);
  credentials_ = std::move((*fresh)->credentials_);
  return absl::OkStatus();
}

absl::StatusOr<std::string> TenantAuthenticator::Authenticate(
    std::optional<absl::string_view> authorization, absl::string_view claimed_tenant) const {
  if (!authorization) {
    return absl::UnauthenticatedError("missing authorization metadata: send Bearer TOKEN");
  }
  absl::string_view token = *authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") && !absl::ConsumePrefix(&token, "bearer ")) {
    return absl::UnauthenticatedError("authorization must be \"Bearer TOKEN\"");
  }
  std::optional<std::vector<std::string>> tenants;
  {
    absl::MutexLock lock(&mu_);
    tenants = credentials_.TenantsOf(absl::StripAsciiWhitespace(token));
  }
  if (!tenants) return absl::UnauthenticatedError("the bearer token is not valid");
  if (claimed_tenant.empty()) {
    if (tenants->size() == 1) return tenants->front();
    return absl::InvalidArgumentError(
        "the token grants several tenants: name one in x-tenant-id");
  }
  for (const std::string& tenant : *tenants) {
    if (tenant == claimed_tenant) return tenant;
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the token does not grant tenant ", claimed_tenant));
}

}  // namespace objgate
