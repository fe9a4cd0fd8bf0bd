// Fuzzes the gateway's checks of what a caller sends (server/service/request_validation.h
// and common/validation.h) the way requests arrive: serialized protobuf bytes,
// parsed, then validated. Input: one letter picking the message, then its bytes:
//   'U' ObjectSpec   'D' DownloadRequest   'L' ListRequest   'X' DeleteRequest
//   'C' CopyRequest   'R' a resumable upload's id (server/upstream/resumable_upload.h)
//   'T' a raw x-tenant-id value (gRPC metadata, not protobuf)

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "common/validation.h"
#include "google/protobuf/stubs/logging.h"
#include "server/service/request_validation.h"
#include "server/upstream/resumable_upload.h"
#include "storage/v1/storage.pb.h"
#include "tests/fuzz/fuzz_check.h"

namespace objgate {
namespace {

bool IsValidKey(absl::string_view key) {
  return !key.empty() && key.size() <= kMaxKeyBytes && key.find('\0') == absl::string_view::npos;
}

// Values that go upstream as header values must not be able to end the header.
bool IsHeaderSafe(absl::string_view value) {
  return value.find_first_of(absl::string_view("\r\n\0", 3)) == absl::string_view::npos;
}

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) {
      return false;
    }
  }
  return true;
}

void CheckUploadSpec(absl::string_view bytes) {
  storage::v1::ObjectSpec message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  absl::StatusOr<UploadSpec> spec = ValidateUploadSpec(message);
  if (!spec.ok()) {
    FUZZ_CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(IsValidKey(spec->key));
  FUZZ_CHECK(!spec->size.has_value() || *spec->size >= 0);
  FUZZ_CHECK(spec->sha256.empty() || (spec->sha256.size() == 64 && IsLowerHex(spec->sha256)));
  FUZZ_CHECK(spec->content_type.size() <= kMaxContentTypeBytes);
  FUZZ_CHECK(IsHeaderSafe(spec->content_type));
  FUZZ_CHECK(spec->metadata.size() <= kMaxMetadataPairs);
  for (const auto& [name, value] : spec->metadata) {
    // Sent as the header name X-Meta-<name>: only token characters keep it one header.
    FUZZ_CHECK(!name.empty() && name.size() <= kMaxMetadataKeyChars);
    for (char c : name) {
      FUZZ_CHECK(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    }
    FUZZ_CHECK(value.size() <= kMaxMetadataValueBytes);
    FUZZ_CHECK(IsHeaderSafe(value));
  }
}

void CheckDownloadRequest(absl::string_view bytes) {
  storage::v1::DownloadRequest message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  absl::StatusOr<DownloadSpec> spec = ValidateDownloadRequest(message);
  if (!spec.ok()) {
    FUZZ_CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(IsValidKey(spec->key));
  FUZZ_CHECK(spec->offset >= 0);
  if (spec->length) {
    // The Range header says bytes=offset-(offset+length-1): it must not overflow.
    FUZZ_CHECK(*spec->length > 0);
    FUZZ_CHECK(*spec->length <= std::numeric_limits<int64_t>::max() - spec->offset);
  }
  // Sent quoted in If-Match: a quote inside would end the entity tag early.
  FUZZ_CHECK(IsHeaderSafe(spec->if_match));
  FUZZ_CHECK(spec->if_match.find('"') == std::string::npos);
}

void CheckListRequest(absl::string_view bytes) {
  storage::v1::ListRequest message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  absl::StatusOr<ListPlan> plan = ValidateListRequest(message);
  if (!plan.ok()) {
    FUZZ_CHECK(plan.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(plan->page_size >= 1 && plan->page_size <= kMaxPageSize);
  FUZZ_CHECK(plan->first_query.max_keys == plan->page_size);
  FUZZ_CHECK(!plan->limit.has_value() || *plan->limit > 0);
  FUZZ_CHECK(plan->first_query.prefix.size() <= kMaxKeyBytes);
  FUZZ_CHECK(plan->first_query.start_after.size() <= kMaxKeyBytes);
}

void CheckDeleteRequest(absl::string_view bytes) {
  storage::v1::DeleteRequest message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  const absl::StatusOr<DeleteSpec> spec = ValidateDeleteRequest(message);
  if (!spec.ok()) return;
  FUZZ_CHECK(IsValidKey(spec->key));
  // Sent upstream as If-Match: nothing may end the header or the quoted etag.
  FUZZ_CHECK(spec->if_match.find_first_of("\r\n\"", 0) == std::string::npos);
}

void CheckCopyRequest(absl::string_view bytes) {
  storage::v1::CopyRequest message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  const absl::StatusOr<CopySpec> spec = ValidateCopyRequest(message);
  if (!spec.ok()) return;
  FUZZ_CHECK(IsValidKey(spec->source_key) && IsValidKey(spec->destination_key));
  FUZZ_CHECK(spec->source_if_match.find_first_of("\r\n\"", 0) == std::string::npos);
}

// A resumable upload's id arrives from the caller as an opaque string.
void CheckResumableUploadId(absl::string_view upload_id) {
  const absl::StatusOr<ResumableUpload> upload = DecodeResumableUpload(upload_id);
  if (!upload.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(upload.status()));
    return;
  }
  FUZZ_CHECK(IsValidKey(upload->key));
  FUZZ_CHECK(!upload->store_upload_id.empty() && upload->part_bytes > 0);
  FUZZ_CHECK(!upload->size.has_value() || *upload->size >= 0);
  // What it decodes to, encoded again, decodes to the same.
  const absl::StatusOr<ResumableUpload> again =
      DecodeResumableUpload(EncodeResumableUpload(*upload));
  FUZZ_CHECK(again.ok() && again->key == upload->key &&
             again->store_upload_id == upload->store_upload_id &&
             again->part_bytes == upload->part_bytes && again->size == upload->size &&
             again->sha256 == upload->sha256 && again->if_none_match == upload->if_none_match &&
             again->if_match == upload->if_match);
}

void CheckTenantId(absl::string_view tenant_id) {
  if (!ValidateTenantId(tenant_id).ok()) return;
  // Used as a directory name by the reference store and sent as a header value.
  FUZZ_CHECK(!tenant_id.empty() && tenant_id.size() <= kMaxTenantIdChars);
  FUZZ_CHECK(absl::ascii_isalnum(static_cast<unsigned char>(tenant_id[0])));
  FUZZ_CHECK(tenant_id != "." && tenant_id != "..");
  for (char c : tenant_id) {
    FUZZ_CHECK(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
               c == '.');
  }
}

}  // namespace
}  // namespace objgate

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Protobuf logs every string field that is not UTF-8; the verdict is what matters here.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 'U':
      objgate::CheckUploadSpec(bytes);
      break;
    case 'D':
      objgate::CheckDownloadRequest(bytes);
      break;
    case 'L':
      objgate::CheckListRequest(bytes);
      break;
    case 'C':
      objgate::CheckCopyRequest(bytes);
      break;
    case 'R':
      objgate::CheckResumableUploadId(bytes);
      break;
    case 'X':
      objgate::CheckDeleteRequest(bytes);
      break;
    case 'T':
      objgate::CheckTenantId(bytes);
      break;
  }
  return 0;
}
