#ifndef OBJGATE_TESTS_SUPPORT_STORAGE_CALLS_H_
#define OBJGATE_TESTS_SUPPORT_STORAGE_CALLS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "storage/v1/storage.grpc.pb.h"

namespace objgate::test_support {

// Calls of storage.v1.ObjectStorage through the generated stub, as a caller makes them,
// with everything a test asserts on collected: for the in-process service tests and the
// cross-process suites alike.

// Bytes of `size` that do not repeat at short periods, so a misplaced or dropped chunk
// shows in a comparison.
std::string TestBytes(size_t size);

// A ClientContext for an object call of `tenant` (none when empty), with a deadline.
std::unique_ptr<grpc::ClientContext> TenantContext(const std::string& tenant,
                                                   absl::Duration timeout = absl::Seconds(60));

struct UploadOutcome {
  grpc::Status status;
  storage::v1::UploadResponse response;
};

struct UploadOptions {
  // Bytes per data message.
  size_t chunk_bytes = 64 * 1024;
  // Declared in the spec when set.
  std::optional<int64_t> declared_size;
  std::string sha256;
  std::string content_type;
  std::map<std::string, std::string> metadata;
  // ObjectSpec's conditions.
  std::string if_none_match;
  std::string if_match;
  // Ends the stream with finish_write, as a well-behaved caller does; false sends the data
  // and closes, as a stream that broke would look to the gateway.
  bool finish_write = true;
};

UploadOutcome Upload(storage::v1::ObjectStorage::Stub& stub, const std::string& tenant,
                     const std::string& key, const std::string& data,
                     const UploadOptions& options = {});

// One stream of a resumable upload (StartResumableUpload): `data` from `write_offset`,
// then finish_write if `finish`.
UploadOutcome ContinueUpload(storage::v1::ObjectStorage::Stub& stub, const std::string& tenant,
                             const std::string& upload_id, int64_t write_offset,
                             absl::string_view data, bool finish);

struct DownloadOutcome {
  grpc::Status status;
  std::optional<storage::v1::ObjectMetadata> metadata;
  std::string data;
  std::optional<storage::v1::DownloadTrailer> trailer;
  int data_messages = 0;
};

DownloadOutcome Download(storage::v1::ObjectStorage::Stub& stub, const std::string& tenant,
                         const storage::v1::DownloadRequest& request,
                         absl::Duration timeout = absl::Seconds(60));
DownloadOutcome Download(storage::v1::ObjectStorage::Stub& stub, const std::string& tenant,
                         const std::string& key);

struct ListOutcome {
  grpc::Status status;
  std::vector<std::vector<std::string>> pages;  // keys, page by page
  std::vector<std::string> keys;                // all of them in order
  std::vector<std::string> prefixes;            // with a delimiter: every common prefix
  std::vector<int> page_items;                  // entries and prefixes, page by page
};

ListOutcome List(storage::v1::ObjectStorage::Stub& stub, const std::string& tenant,
                 const storage::v1::ListRequest& request);

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_SUPPORT_STORAGE_CALLS_H_
