#ifndef OBJGATE_SERVER_SERVICE_REQUEST_VALIDATION_H_
#define OBJGATE_SERVER_SERVICE_REQUEST_VALIDATION_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/upstream/upstream.h"
#include "storage/v1/storage.pb.h"

namespace objgate {

// Limits of the API, as documented in proto/storage/v1/storage.proto.
inline constexpr int kDefaultPageSize = 1000;
inline constexpr int kMaxPageSize = 10000;
// S3 allows longer delimiters; a folder separator is a byte or two.
inline constexpr size_t kMaxDelimiterBytes = 16;
inline constexpr size_t kMaxMetadataPairs = 64;
inline constexpr size_t kMaxMetadataKeyChars = 128;
inline constexpr size_t kMaxMetadataValueBytes = 1024;
inline constexpr size_t kMaxContentTypeBytes = 256;
inline constexpr size_t kMaxEtagBytes = 1024;

// Each check turns one request message into what the upstream layer needs, or into
// INVALID_ARGUMENT with a message that names the field and what was wrong with it.

absl::StatusOr<UploadSpec> ValidateUploadSpec(const storage::v1::ObjectSpec& spec);

absl::StatusOr<DownloadSpec> ValidateDownloadRequest(const storage::v1::DownloadRequest& request);

struct ListPlan {
  ListQuery first_query;
  int page_size = kDefaultPageSize;
  // Entries to return in all; nullopt for no limit.
  std::optional<int64_t> limit;
};
absl::StatusOr<ListPlan> ValidateListRequest(const storage::v1::ListRequest& request);

absl::StatusOr<DeleteSpec> ValidateDeleteRequest(const storage::v1::DeleteRequest& request);
absl::StatusOr<CopySpec> ValidateCopyRequest(const storage::v1::CopyRequest& request);
absl::Status ValidateStatRequest(const storage::v1::StatRequest& request);

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_REQUEST_VALIDATION_H_
