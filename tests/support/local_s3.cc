#include "tests/support/local_s3.h"

#include <cstdlib>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "server/upstream/http_answers.h"

namespace objgate::test_support {
namespace {

absl::Status ErrorOf(absl::string_view what, const BufferedResponse& answer) {
  return absl::InternalError(
      absl::StrCat(what, ": S3 answered ", answer.status, ": ", answer.body.substr(0, 500)));
}

}  // namespace

absl::StatusOr<LocalS3> FindLocalS3() {
  const char* path = std::getenv("OBJGATE_S3_ENV");
  if (path == nullptr || *path == '\0') {
    return absl::NotFoundError("OBJGATE_S3_ENV is not set");
  }
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(file, line)) {
    const size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    values[line.substr(0, equals)] = line.substr(equals + 1);
  }
  LocalS3 s3;
  s3.endpoint = values["OBJGATE_S3_ENDPOINT"];
  s3.credentials.access_key_id = values["AWS_ACCESS_KEY_ID"];
  s3.credentials.secret_access_key = values["AWS_SECRET_ACCESS_KEY"];
  s3.bucket = values["OBJGATE_S3_BUCKET"];
  s3.region = values["OBJGATE_S3_REGION"];
  if (s3.endpoint.empty() || s3.credentials.access_key_id.empty() || s3.bucket.empty()) {
    return absl::NotFoundError(absl::StrCat(path, " lacks the endpoint, keys or bucket"));
  }
  if (s3.region.empty()) s3.region = "us-east-1";
  return s3;
}

bool LocalS3Required() {
  const char* required = std::getenv("OBJGATE_REQUIRE_S3");
  return required != nullptr && std::string(required) == "1";
}

absl::StatusOr<std::unique_ptr<S3TestClient>> S3TestClient::Create(LocalS3 s3) {
  absl::StatusOr<S3Endpoint> endpoint = ParseS3Endpoint(s3.endpoint);
  if (!endpoint.ok()) return endpoint.status();
  endpoint->region = s3.region;
  absl::StatusOr<std::unique_ptr<CurlHttpClient>> http = CurlHttpClient::Create({});
  if (!http.ok()) return http.status();
  return std::unique_ptr<S3TestClient>(
      new S3TestClient(std::move(s3), *std::move(endpoint), *std::move(http)));
}

absl::StatusOr<BufferedResponse> S3TestClient::Call(S3Request request, absl::string_view body) {
  HttpRequest http =
      SignS3Request(endpoint_, request, s3_.credentials, absl::Now(), Sha256::Hex(body));
  StringByteSource source(body);
  if (!body.empty() || request.method == "PUT" || request.method == "POST") {
    http.body = &source;
    http.body_size = static_cast<int64_t>(body.size());
  }
  http.deadline = absl::Now() + absl::Seconds(60);
  return PerformBuffered(*http_, http, size_t{1} << 31);
}

absl::Status S3TestClient::CreateBucket(absl::string_view bucket) {
  S3Request request;
  request.method = "PUT";
  request.bucket = std::string(bucket);
  absl::StatusOr<BufferedResponse> answer = Call(request);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) return ErrorOf(absl::StrCat("create bucket ", bucket), *answer);
  return absl::OkStatus();
}

absl::Status S3TestClient::DeleteBucket(absl::string_view bucket) {
  absl::StatusOr<std::vector<std::string>> keys = ListKeys(bucket, "");
  if (!keys.ok()) return keys.status();
  for (const std::string& key : *keys) {
    S3Request request;
    request.method = "DELETE";
    request.bucket = std::string(bucket);
    request.key = key;
    absl::StatusOr<BufferedResponse> answer = Call(request);
    if (!answer.ok()) return answer.status();
  }
  S3Request request;
  request.method = "DELETE";
  request.bucket = std::string(bucket);
  absl::StatusOr<BufferedResponse> answer = Call(request);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) return ErrorOf(absl::StrCat("delete bucket ", bucket), *answer);
  return absl::OkStatus();
}

absl::Status S3TestClient::PutObject(absl::string_view bucket, absl::string_view key,
                                     absl::string_view bytes) {
  S3Request request;
  request.method = "PUT";
  request.bucket = std::string(bucket);
  request.key = std::string(key);
  absl::StatusOr<BufferedResponse> answer = Call(request, bytes);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) return ErrorOf(absl::StrCat("put ", key), *answer);
  return absl::OkStatus();
}

absl::StatusOr<std::string> S3TestClient::GetObject(absl::string_view bucket,
                                                    absl::string_view key) {
  S3Request request;
  request.bucket = std::string(bucket);
  request.key = std::string(key);
  absl::StatusOr<BufferedResponse> answer = Call(request);
  if (!answer.ok()) return answer.status();
  if (answer->status == 404) return absl::NotFoundError(absl::StrCat("no object ", key));
  if (!IsSuccess(answer->status)) return ErrorOf(absl::StrCat("get ", key), *answer);
  return std::move(answer->body);
}

absl::StatusOr<std::vector<std::string>> S3TestClient::ListKeys(absl::string_view bucket,
                                                                absl::string_view prefix) {
  std::vector<std::string> keys;
  std::string token;
  do {
    S3Request request;
    request.bucket = std::string(bucket);
    request.query = {{"list-type", "2"}, {"encoding-type", "url"}, {"prefix", std::string(prefix)}};
    if (!token.empty()) request.query.emplace_back("continuation-token", token);
    absl::StatusOr<BufferedResponse> answer = Call(request);
    if (!answer.ok()) return answer.status();
    if (!IsSuccess(answer->status)) return ErrorOf("list", *answer);
    absl::StatusOr<ListObjectsV2Answer> page = ParseListObjectsV2(answer->body);
    if (!page.ok()) return page.status();
    for (ObjectEntry& entry : page->entries) keys.push_back(std::move(entry.key));
    token = page->is_truncated ? page->next_continuation_token : "";
  } while (!token.empty());
  return keys;
}

absl::StatusOr<std::vector<MultipartUploadEntry>> S3TestClient::ListMultipartUploads(
    absl::string_view bucket, absl::string_view prefix) {
  S3Request request;
  request.bucket = std::string(bucket);
  request.query = {{"uploads", ""}, {"prefix", std::string(prefix)}};
  absl::StatusOr<BufferedResponse> answer = Call(request);
  if (!answer.ok()) return answer.status();
  if (!IsSuccess(answer->status)) return ErrorOf("list multipart uploads", *answer);
  absl::StatusOr<ListMultipartUploadsAnswer> uploads = ParseListMultipartUploads(answer->body);
  if (!uploads.ok()) return uploads.status();
  return std::move(uploads->uploads);
}

}  // namespace objgate::test_support
