#ifndef OBJGATE_SERVER_UPSTREAM_AWS_CREDENTIALS_H_
#define OBJGATE_SERVER_UPSTREAM_AWS_CREDENTIALS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/upstream/sigv4.h"

namespace objgate {

// Looks up one environment variable; tests pass their own.
using GetEnv = std::function<std::optional<std::string>(absl::string_view name)>;

// The process's environment.
GetEnv RealEnvironment();

// The credentials the S3 dialect signs with, found where the AWS CLI and SDKs look:
//   1. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, with AWS_SESSION_TOKEN if set, when
//      both are set (an empty variable counts as unset). When only one is, the file is
//      used, and Describe() and the errors say which variable was ignored;
//   2. otherwise the shared credentials file, AWS_SHARED_CREDENTIALS_FILE or else
//      $HOME/.aws/credentials, profile AWS_PROFILE or else "default":
//
//        # comments start with '#' or ';', on a line of their own
//        [default]
//        aws_access_key_id = AKIAIOSFODNN7EXAMPLE
//        aws_secret_access_key = ...
//        aws_session_token = ...      (optional)
//
//      Names and values are trimmed; key names (letters, digits, '_', '-', '.') are
//      matched without regard to case. A line that is none of these makes the whole file
//      malformed, as it does for the AWS CLI, rather than leave a typo to show up later as
//      "access denied". Credentials are printable ASCII without spaces wherever they come
//      from: they end up in request headers.
//
// No status, nor Describe(), ever carries the secret access key or the session token: a
// malformed line is named by its number, never quoted, since it may hold a secret.
//
// Current() may be called from any thread while Reload() (on SIGHUP, after the file was
// rotated) swaps new credentials in.
class AwsCredentialsProvider {
 public:
  // FAILED_PRECONDITION naming what is missing and where it looked (variables, file,
  // profile) when there are no credentials or the file cannot be read; INVALID_ARGUMENT
  // naming the file and line when it is malformed.
  static absl::StatusOr<std::unique_ptr<AwsCredentialsProvider>> Create(
      GetEnv getenv = RealEnvironment());

  // A copy of the credentials in force.
  AwsCredentials Current() const;

  // Rereads the shared credentials file. When it is no longer valid the credentials in
  // force stay in force and the error is returned. OK, and nothing done, for credentials
  // from the environment.
  absl::Status Reload();

  // For the startup log: where the credentials come from and the access key id, e.g.
  // "shared credentials file /root/.aws/credentials (profile default), access key AKIA...".
  std::string Describe() const;

 private:
  enum class Source { kEnvironment, kSharedFile };

  AwsCredentialsProvider(Source source, std::string file, std::string profile,
                         std::string ignored_environment, AwsCredentials credentials);

  const Source source_;
  // The shared credentials file and profile; empty for kEnvironment.
  const std::string file_;
  const std::string profile_;
  // Says which half-set credential variables were passed over for the file; empty when
  // none were.
  const std::string ignored_environment_;
  mutable absl::Mutex mu_;
  AwsCredentials credentials_ ABSL_GUARDED_BY(mu_);
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_AWS_CREDENTIALS_H_
