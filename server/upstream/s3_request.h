#ifndef OBJGATE_SERVER_UPSTREAM_S3_REQUEST_H_
#define OBJGATE_SERVER_UPSTREAM_S3_REQUEST_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/http_headers.h"
#include "server/http/http_client.h"
#include "server/upstream/sigv4.h"

namespace objgate {

// Where S3 requests go.
struct S3Endpoint {
  // "http" or "https".
  std::string scheme;
  // host[:port].
  std::string host;
  std::string region = "us-east-1";
  // BUCKET.host/KEY instead of host/BUCKET/KEY.
  bool virtual_host_addressing = false;
};

// scheme://host[:port] (a trailing '/' allowed) as an S3Endpoint; INVALID_ARGUMENT, naming
// the flag `upstream`, for anything else.
absl::StatusOr<S3Endpoint> ParseS3Endpoint(absl::string_view url);

// One S3 request before signing.
struct S3Request {
  std::string method = "GET";
  // Empty for a request to the endpoint itself (ListBuckets).
  std::string bucket;
  // Empty for a request to the bucket.
  std::string key;
  // Unencoded names and values; "uploads" is {"uploads", ""}.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign besides SigV4's own (Content-Type, Range, x-amz-meta-*).
  HttpHeaders headers;
};

// The HTTP request for `request`, signed with SigV4 at `now` for a payload whose hex
// SHA-256 is `payload_sha256`: the URL, Host, X-Amz-Date, X-Amz-Content-Sha256,
// X-Amz-Security-Token (with a session token) and Authorization. The caller adds the body,
// deadline and cancellation.
HttpRequest SignS3Request(const S3Endpoint& endpoint, const S3Request& request,
                          const AwsCredentials& credentials, absl::Time now,
                          absl::string_view payload_sha256);

// SigV4's UriEncode of an object key in a path: every byte but the unreserved characters
// and '/' as %XX.
std::string EncodeS3KeyPath(absl::string_view key);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_S3_REQUEST_H_
