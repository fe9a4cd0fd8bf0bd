#include "tools/cli/exit_codes.h"

#include "gtest/gtest.h"

namespace objgate::cli {
namespace {

TEST(ExitCodeForTest, EveryStatusCodeHasItsClass) {
  struct Row {
    absl::StatusCode code;
    ExitCode exit;
  };
  const Row rows[] = {
      {absl::StatusCode::kOk, kExitOk},
      {absl::StatusCode::kCancelled, kExitOtherError},
      {absl::StatusCode::kUnknown, kExitOtherError},
      {absl::StatusCode::kInvalidArgument, kExitInvalid},
      {absl::StatusCode::kDeadlineExceeded, kExitUnavailable},
      {absl::StatusCode::kNotFound, kExitNotFound},
      {absl::StatusCode::kAlreadyExists, kExitOtherError},
      {absl::StatusCode::kPermissionDenied, kExitRefused},
      {absl::StatusCode::kResourceExhausted, kExitQuota},
      {absl::StatusCode::kFailedPrecondition, kExitPrecondition},
      {absl::StatusCode::kAborted, kExitOtherError},
      {absl::StatusCode::kOutOfRange, kExitInvalid},
      {absl::StatusCode::kUnimplemented, kExitOtherError},
      {absl::StatusCode::kInternal, kExitOtherError},
      {absl::StatusCode::kUnavailable, kExitUnavailable},
      {absl::StatusCode::kDataLoss, kExitDataLoss},
      {absl::StatusCode::kUnauthenticated, kExitRefused},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(ExitCodeFor(absl::Status(row.code, "x")), row.exit)
        << absl::StatusCodeToString(row.code);
  }
}

}  // namespace
}  // namespace objgate::cli
