#include "server/upstream/s3_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/url_encoding.h"

namespace objgate {

absl::StatusOr<S3Endpoint> ParseS3Endpoint(absl::string_view url) {
  absl::string_view rest = url;
  while (absl::ConsumeSuffix(&rest, "/")) {
  }
  S3Endpoint endpoint;
  if (absl::ConsumePrefix(&rest, "http://")) {
    endpoint.scheme = "http";
  } else if (absl::ConsumePrefix(&rest, "https://")) {
    endpoint.scheme = "https";
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "upstream must be the S3 endpoint's URL, http:// or https://, got \"", url, "\""));
  }
  if (rest.empty() || absl::StrContains(rest, '/') || absl::StrContains(rest, '?')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upstream must be scheme://host[:port] for S3, without a path, got \"", url, "\""));
  }
  endpoint.host = std::string(rest);
  return endpoint;
}

std::string EncodeS3KeyPath(absl::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(key.size() * 3);
  for (unsigned char c : key) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

HttpRequest SignS3Request(const S3Endpoint& endpoint, const S3Request& request,
                          const AwsCredentials& credentials, absl::Time now,
                          absl::string_view payload_sha256) {
  std::string host = endpoint.host;
  std::string path = "/";
  if (!request.bucket.empty()) {
    if (endpoint.virtual_host_addressing) {
      host = absl::StrCat(request.bucket, ".", endpoint.host);
    } else {
      absl::StrAppend(&path, request.bucket, request.key.empty() ? "" : "/");
    }
  }
  // Dots and slashes go out as they are: the HTTP client sends paths without resolving
  // "." and ".." segments (CURLOPT_PATH_AS_IS), and S3 takes the path literally.
  absl::StrAppend(&path, EncodeS3KeyPath(request.key));
  std::string query;
  for (const auto& [name, value] : request.query) {
    absl::StrAppend(&query, query.empty() ? "" : "&", UrlEncode(name), "=", UrlEncode(value));
  }

  HttpRequest http;
  http.method = request.method;
  http.url = absl::StrCat(endpoint.scheme, "://", host, path, query.empty() ? "" : "?", query);
  http.headers = request.headers;
  http.headers.Add("Host", host);
  http.headers.Add("X-Amz-Date", AmzDate(now));
  http.headers.Add("X-Amz-Content-Sha256", std::string(payload_sha256));
  if (!credentials.session_token.empty()) {
    http.headers.Add("X-Amz-Security-Token", credentials.session_token);
  }
  SigV4Request signing;
  signing.method = http.method;
  signing.encoded_path = path;
  signing.encoded_query = query;
  signing.headers = &http.headers;
  signing.payload_sha256 = payload_sha256;
  http.headers.Add("Authorization",
                   SigV4Authorization(signing, credentials, {endpoint.region, "s3"}, now));
  return http;
}

}  // namespace objgate
