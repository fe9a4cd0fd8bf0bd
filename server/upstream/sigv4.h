#ifndef OBJGATE_SERVER_UPSTREAM_SIGV4_H_
#define OBJGATE_SERVER_UPSTREAM_SIGV4_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/http_headers.h"

namespace objgate {

// AWS Signature Version 4 as S3 wants it, for the Authorization header of one request:
//
//   HttpHeaders headers{{"Host", "bucket.s3.us-east-1.amazonaws.com"},
//                       {"X-Amz-Date", AmzDate(now)},
//                       {"X-Amz-Content-SHA256", payload_sha256}};
//   if (!credentials.session_token.empty()) {
//     headers.Add(std::string(kAmzSecurityTokenHeader), credentials.session_token);
//   }
//   SigV4Request request{"GET", "/key", "", &headers, payload_sha256};
//   headers.Add("Authorization", SigV4Authorization(request, credentials, scope, now));
//
// The signer signs exactly the headers it is given and adds none: the caller puts the
// session token among them (S3 wants it signed), and sends every header it signed.
// The functions are pure and thread-safe; the signing key is derived on each call.

// The header that carries a session token; S3 wants it among the signed headers.
inline constexpr absl::string_view kAmzSecurityTokenHeader = "X-Amz-Security-Token";

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when there is none
};

// The credential scope's variable parts.
struct SigV4Scope {
  std::string region;   // "us-east-1"
  std::string service;  // "s3"
};

// One request as it is signed.
struct SigV4Request {
  absl::string_view method;
  // The path exactly as sent, already percent-encoded; S3 rules: used as is, not
  // normalised and not encoded again. Empty means "/".
  absl::string_view encoded_path;
  // The query string as sent (no '?'), already encoded; the signer canonicalises it
  // (sorted by name then value; a parameter without '=' has an empty value). Each name
  // and value is decoded and encoded again the SigV4 way, so "%7e" and "~" sign alike;
  // '+' is a literal plus, not a space, so encode spaces as %20.
  absl::string_view encoded_query;
  // Every header to sign (names in any case; must include Host and X-Amz-Date).
  // Values are trimmed and inner runs of spaces collapsed as SigV4 requires; repeated
  // names are joined with ','.
  const HttpHeaders* headers = nullptr;
  // Hex SHA-256 of the payload, or "UNSIGNED-PAYLOAD".
  absl::string_view payload_sha256;
};

// The canonical request: method, path, query, headers, signed header names and payload
// hash, one per line.
std::string SigV4CanonicalRequest(const SigV4Request& request);

// `time` is the X-Amz-Date the request carries.
std::string SigV4StringToSign(absl::string_view canonical_request, absl::Time time,
                              const SigV4Scope& scope);

// The value of the Authorization header: "AWS4-HMAC-SHA256
// Credential=AKID/20150830/us-east-1/service/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=...". `time` is the request's X-Amz-Date.
std::string SigV4Authorization(const SigV4Request& request, const AwsCredentials& credentials,
                               const SigV4Scope& scope, absl::Time time);

// "20150830T123600Z", the X-Amz-Date form (UTC).
std::string AmzDate(absl::Time time);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_SIGV4_H_
