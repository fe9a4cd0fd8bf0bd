#include "server/service/request_validation.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/validation.h"

namespace objgate {
namespace {

// Values that travel upstream as header values must not be able to end the header.
bool IsSafeHeaderValue(absl::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool IsMetadataKey(absl::string_view key) {
  if (key.empty() || key.size() > kMaxMetadataKeyChars) return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

// An etag a caller names in a precondition (if_match and its kin).
absl::Status ValidateEtag(absl::string_view etag, absl::string_view field) {
  if (etag.size() > kMaxEtagBytes || !IsSafeHeaderValue(etag) ||
      etag.find('"') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be an etag of at most ",
                                                   kMaxEtagBytes,
                                                   " bytes without quotes, CR, LF or NUL"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UploadSpec> ValidateUploadSpec(const storage::v1::ObjectSpec& spec) {
  if (absl::Status key = ValidateObjectKey(spec.key(), "spec.key"); !key.ok()) return key;
  if (spec.has_size() && spec.size() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("spec.size must be >= 0, got ", spec.size()));
  }
  if (!spec.sha256().empty() && !IsSha256Hex(spec.sha256())) {
    return absl::InvalidArgumentError("spec.sha256 must be 64 hex digits");
  }
  if (spec.content_type().size() > kMaxContentTypeBytes ||
      !IsSafeHeaderValue(spec.content_type())) {
    return absl::InvalidArgumentError(absl::StrCat("spec.content_type must be at most ",
                                                   kMaxContentTypeBytes,
                                                   " bytes without CR, LF or NUL"));
  }
  if (spec.metadata_size() > static_cast<int>(kMaxMetadataPairs)) {
    return absl::InvalidArgumentError(absl::StrCat("spec.metadata has ", spec.metadata_size(),
                                                   " pairs; the limit is ", kMaxMetadataPairs));
  }
  if (!spec.if_none_match().empty() && spec.if_none_match() != "*") {
    return absl::InvalidArgumentError(
        absl::StrCat("spec.if_none_match must be \"*\" (create only) or empty, got \"",
                     spec.if_none_match().substr(0, 64), "\""));
  }
  if (absl::Status etag = ValidateEtag(spec.if_match(), "spec.if_match"); !etag.ok()) return etag;
  if (!spec.if_none_match().empty() && !spec.if_match().empty()) {
    return absl::InvalidArgumentError(
        "spec.if_none_match and spec.if_match exclude each other: set one of them");
  }
  UploadSpec upload;
  for (const auto& [name, value] : spec.metadata()) {
    if (!IsMetadataKey(name)) {
      return absl::InvalidArgumentError(absl::StrCat("spec.metadata key \"", name.substr(0, 64),
                                                     "\" must be 1 to ", kMaxMetadataKeyChars,
                                                     " characters from [A-Za-z0-9_-]"));
    }
    if (value.size() > kMaxMetadataValueBytes || !IsSafeHeaderValue(value)) {
      return absl::InvalidArgumentError(absl::StrCat("spec.metadata value of \"", name,
                                                     "\" must be at most ", kMaxMetadataValueBytes,
                                                     " bytes without CR, LF or NUL"));
    }
    upload.metadata.emplace(name, value);
  }
  upload.key = spec.key();
  upload.content_type = spec.content_type();
  if (spec.has_size()) upload.size = spec.size();
  upload.sha256 = absl::AsciiStrToLower(spec.sha256());
  upload.if_none_match = spec.if_none_match();
  upload.if_match = spec.if_match();
  return upload;
}

absl::StatusOr<DownloadSpec> ValidateDownloadRequest(const storage::v1::DownloadRequest& request) {
  if (absl::Status key = ValidateObjectKey(request.key()); !key.ok()) return key;
  if (request.offset() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("offset must be >= 0, got ", request.offset()));
  }
  if (request.limit() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be >= 0, got ", request.limit()));
  }
  if (request.limit() > std::numeric_limits<int64_t>::max() - request.offset()) {
    return absl::InvalidArgumentError("offset + limit overflows a 64-bit byte position");
  }
  if (absl::Status etag = ValidateEtag(request.if_match(), "if_match"); !etag.ok()) return etag;
  DownloadSpec spec;
  spec.key = request.key();
  spec.offset = request.offset();
  if (request.limit() > 0) spec.length = request.limit();
  spec.if_match = request.if_match();
  return spec;
}

absl::StatusOr<ListPlan> ValidateListRequest(const storage::v1::ListRequest& request) {
  if (absl::Status prefix = ValidateOptionalKey(request.prefix(), "prefix"); !prefix.ok()) {
    return prefix;
  }
  if (absl::Status start = ValidateOptionalKey(request.start_after(), "start_after"); !start.ok()) {
    return start;
  }
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be 0 to ", kMaxPageSize, ", got ", request.page_size()));
  }
  if (request.limit() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be >= 0, got ", request.limit()));
  }
  if (request.delimiter().size() > kMaxDelimiterBytes ||
      request.delimiter().find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("delimiter must be at most ", kMaxDelimiterBytes, " bytes without NUL"));
  }
  ListPlan plan;
  plan.page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (request.limit() > 0) plan.limit = request.limit();
  plan.first_query.prefix = request.prefix();
  plan.first_query.start_after = request.start_after();
  plan.first_query.max_keys = plan.page_size;
  plan.first_query.delimiter = request.delimiter();
  return plan;
}

absl::StatusOr<DeleteSpec> ValidateDeleteRequest(const storage::v1::DeleteRequest& request) {
  if (absl::Status key = ValidateObjectKey(request.key()); !key.ok()) return key;
  if (absl::Status etag = ValidateEtag(request.if_match(), "if_match"); !etag.ok()) return etag;
  return DeleteSpec{request.key(), request.if_match()};
}

absl::StatusOr<CopySpec> ValidateCopyRequest(const storage::v1::CopyRequest& request) {
  if (absl::Status key = ValidateObjectKey(request.source_key(), "source_key"); !key.ok()) {
    return key;
  }
  if (absl::Status key = ValidateObjectKey(request.destination_key(), "destination_key");
      !key.ok()) {
    return key;
  }
  if (absl::Status etag = ValidateEtag(request.source_if_match(), "source_if_match"); !etag.ok()) {
    return etag;
  }
  return CopySpec{request.source_key(), request.destination_key(), request.source_if_match()};
}

absl::Status ValidateStatRequest(const storage::v1::StatRequest& request) {
  return ValidateObjectKey(request.key());
}

}  // namespace objgate
