#ifndef OBJGATE_TESTS_SUPPORT_LOCAL_S3_H_
#define OBJGATE_TESTS_SUPPORT_LOCAL_S3_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/http/curl_http_client.h"
#include "server/upstream/s3_answers.h"
#include "server/upstream/s3_request.h"
#include "server/upstream/sigv4.h"

namespace objgate::test_support {

// The S3 server the tests run against: a Ceph RGW cluster that tools/test.sh starts with
// tools/ceph/rgw.sh and describes in the rgw.env file that $OBJGATE_S3_ENV names.
struct LocalS3 {
  std::string endpoint;  // http://127.0.0.1:PORT
  AwsCredentials credentials;
  std::string bucket;
  std::string region;
};

// NOT_FOUND when $OBJGATE_S3_ENV is unset; another error when its file cannot be read.
absl::StatusOr<LocalS3> FindLocalS3();

// Whether a test without a local S3 must fail rather than skip: tools/test.sh sets
// $OBJGATE_REQUIRE_S3=1, so that CI never passes by skipping.
bool LocalS3Required();

// Skips the test (or fails it, under LocalS3Required) when there is no local S3; use at
// the top of a test or in SetUp:
//   OBJGATE_NEED_LOCAL_S3(s3);   // declares `LocalS3 s3`
#define OBJGATE_NEED_LOCAL_S3(var)                                                    \
  ::absl::StatusOr<::objgate::test_support::LocalS3> var##_or =                       \
      ::objgate::test_support::FindLocalS3();                                         \
  if (!var##_or.ok()) {                                                               \
    if (::objgate::test_support::LocalS3Required()) {                                 \
      FAIL() << "no local S3 (tools/test.sh starts one): " << var##_or.status();      \
    }                                                                                 \
    GTEST_SKIP() << "no local S3; run tools/test.sh, or tools/ceph/rgw.sh start DIR " \
                    "and set OBJGATE_S3_ENV=DIR/rgw.env";                             \
  }                                                                                   \
  const ::objgate::test_support::LocalS3 var = *var##_or

// A small S3 client, signed like the gateway's, for tests that look at the store behind
// the gateway's back: what is stored, and what was left behind.
class S3TestClient {
 public:
  static absl::StatusOr<std::unique_ptr<S3TestClient>> Create(LocalS3 s3);

  // One request with `body`; the answer whatever its status.
  absl::StatusOr<BufferedResponse> Call(S3Request request, absl::string_view body = {});

  absl::Status CreateBucket(absl::string_view bucket);
  // Deletes every object in `bucket`, then the bucket.
  absl::Status DeleteBucket(absl::string_view bucket);
  absl::Status PutObject(absl::string_view bucket, absl::string_view key, absl::string_view bytes);
  // The object's bytes; NOT_FOUND when there is none.
  absl::StatusOr<std::string> GetObject(absl::string_view bucket, absl::string_view key);
  // Every key in `bucket` that starts with `prefix`.
  absl::StatusOr<std::vector<std::string>> ListKeys(absl::string_view bucket,
                                                    absl::string_view prefix);
  // The multipart uploads in progress in `bucket` under `prefix`.
  absl::StatusOr<std::vector<MultipartUploadEntry>> ListMultipartUploads(absl::string_view bucket,
                                                                         absl::string_view prefix);

  const LocalS3& s3() const { return s3_; }

 private:
  S3TestClient(LocalS3 s3, S3Endpoint endpoint, std::unique_ptr<CurlHttpClient> http)
      : s3_(std::move(s3)), endpoint_(std::move(endpoint)), http_(std::move(http)) {}

  LocalS3 s3_;
  S3Endpoint endpoint_;
  std::unique_ptr<CurlHttpClient> http_;
};

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_SUPPORT_LOCAL_S3_H_
