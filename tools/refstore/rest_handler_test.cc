#include "tools/refstore/rest_handler.h"

#include "gtest/gtest.h"

namespace objgate::refstore {
namespace {

// Routes themselves are exercised against the real binary in refstore_process_test.
TEST(HttpStatusForErrorTest, MapsEachStoreErrorToTheStatusTheApiNames) {
  struct Row {
    absl::StatusCode code;
    int http_status;
  };
  const Row rows[] = {
      {absl::StatusCode::kInvalidArgument, 400},   {absl::StatusCode::kNotFound, 404},
      {absl::StatusCode::kResourceExhausted, 403}, {absl::StatusCode::kOutOfRange, 413},
      {absl::StatusCode::kDeadlineExceeded, 408},  {absl::StatusCode::kUnavailable, 400},
      {absl::StatusCode::kFailedPrecondition, 412}, {absl::StatusCode::kAborted, 409},
      {absl::StatusCode::kInternal, 500},          {absl::StatusCode::kDataLoss, 500},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(HttpStatusForError(row.code), row.http_status) << absl::StatusCodeToString(row.code);
  }
}

}  // namespace
}  // namespace objgate::refstore
