#include "server/upstream/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/sha256.h"
#include "common/url_encoding.h"

namespace objgate {
namespace {

constexpr absl::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
           &digest_size) == nullptr) {
    // Only a broken libcrypto gets here; a request signed with garbage would fail upstream
    // as "access denied" and send the operator after the wrong cause.
    std::fputs("objgate: HMAC-SHA256 failed in libcrypto\n", stderr);
    std::abort();
  }
  std::string mac(reinterpret_cast<const char*>(digest), digest_size);
  OPENSSL_cleanse(digest, sizeof digest);
  return mac;
}

// Intermediate keys are wiped as soon as the next is derived: each one can sign for a
// whole day, so no more copies than needed linger in freed memory.
std::string SigningKey(absl::string_view secret_access_key, absl::string_view date,
                       const SigV4Scope& scope) {
  std::string key = absl::StrCat("AWS4", secret_access_key);
  for (absl::string_view part :
       {date, absl::string_view(scope.region), absl::string_view(scope.service),
        absl::string_view("aws4_request")}) {
    std::string next = HmacSha256(key, part);
    OPENSSL_cleanse(key.data(), key.size());
    key = std::move(next);
  }
  return key;
}

std::string ScopeDate(absl::Time time) {
  return absl::FormatTime("%Y%m%d", time, absl::UTCTimeZone());
}

std::string CredentialScope(absl::Time time, const SigV4Scope& scope) {
  return absl::StrCat(ScopeDate(time), "/", scope.region, "/", scope.service, "/aws4_request");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the %XX escapes of a query name or value; a '%' without two hex digits after it
// stays a literal '%' (and is signed as %25), so that no input makes signing fail.
std::string DecodeLeniently(absl::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    decoded.push_back(text[i]);
  }
  return decoded;
}

// Names and values are compared as encoded, name first: sorting "name=value" strings
// instead would put "a-b=1" before "a=1", as '-' sorts before '='.
std::string CanonicalQuery(absl::string_view encoded_query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  for (absl::string_view parameter : absl::StrSplit(encoded_query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(parameter, absl::MaxSplits('=', 1));
    parameters.emplace_back(UrlEncode(DecodeLeniently(name_value.first)),
                            UrlEncode(DecodeLeniently(name_value.second)));
  }
  std::sort(parameters.begin(), parameters.end());
  return absl::StrJoin(parameters, "&", absl::PairFormatter("="));
}

// SigV4's Trimall: no leading or trailing blanks, and each inner run of them one space.
std::string TrimAll(absl::string_view value) {
  std::string trimmed;
  trimmed.reserve(value.size());
  bool blank_pending = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      blank_pending = !trimmed.empty();
      continue;
    }
    if (blank_pending) trimmed.push_back(' ');
    blank_pending = false;
    trimmed.push_back(c);
  }
  return trimmed;
}

struct CanonicalHeaders {
  // "name:value\n" for each name, sorted by name.
  std::string lines;
  // "host;x-amz-date": the SignedHeaders list.
  std::string signed_names;
};

CanonicalHeaders Canonicalize(const HttpHeaders* headers) {
  // std::map orders the lowercase names by byte, which is SigV4's order.
  std::map<std::string, std::string> values;
  if (headers != nullptr) {
    for (const auto& [name, value] : headers->entries()) {
      auto [it, inserted] = values.try_emplace(absl::AsciiStrToLower(name), TrimAll(value));
      if (!inserted) absl::StrAppend(&it->second, ",", TrimAll(value));
    }
  }
  CanonicalHeaders canonical;
  std::vector<absl::string_view> names;
  names.reserve(values.size());
  for (const auto& [name, value] : values) {
    absl::StrAppend(&canonical.lines, name, ":", value, "\n");
    names.push_back(name);
  }
  canonical.signed_names = absl::StrJoin(names, ";");
  return canonical;
}

std::string CanonicalRequest(const SigV4Request& request, const CanonicalHeaders& headers) {
  const absl::string_view path = request.encoded_path.empty() ? "/" : request.encoded_path;
  // The header lines end with '\n' already; the join adds the blank line SigV4 wants
  // after them.
  return absl::StrCat(request.method, "\n", path, "\n", CanonicalQuery(request.encoded_query), "\n",
                      headers.lines, "\n", headers.signed_names, "\n", request.payload_sha256);
}

}  // namespace

std::string SigV4CanonicalRequest(const SigV4Request& request) {
  return CanonicalRequest(request, Canonicalize(request.headers));
}

std::string SigV4StringToSign(absl::string_view canonical_request, absl::Time time,
                              const SigV4Scope& scope) {
  return absl::StrCat(kAlgorithm, "\n", AmzDate(time), "\n", CredentialScope(time, scope), "\n",
                      Sha256::Hex(canonical_request));
}

std::string SigV4Authorization(const SigV4Request& request, const AwsCredentials& credentials,
                               const SigV4Scope& scope, absl::Time time) {
  const CanonicalHeaders headers = Canonicalize(request.headers);
  const std::string string_to_sign =
      SigV4StringToSign(CanonicalRequest(request, headers), time, scope);
  std::string key = SigningKey(credentials.secret_access_key, ScopeDate(time), scope);
  const std::string signature = absl::BytesToHexString(HmacSha256(key, string_to_sign));
  OPENSSL_cleanse(key.data(), key.size());
  return absl::StrCat(kAlgorithm, " Credential=", credentials.access_key_id, "/",
                      CredentialScope(time, scope), ", SignedHeaders=", headers.signed_names,
                      ", Signature=", signature);
}

std::string AmzDate(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", time, absl::UTCTimeZone());
}

}  // namespace objgate
