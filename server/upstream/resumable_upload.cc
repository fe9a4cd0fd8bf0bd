#include "server/upstream/resumable_upload.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/sha256.h"
#include "common/validation.h"

namespace objgate {
namespace {

// The first field of an encoded ResumableUpload: its format's version.
constexpr absl::string_view kFormat = "og1";
// NUL cannot occur in a key, an etag or an upload id.
constexpr char kSeparator = '\0';

absl::Status Malformed() {
  return absl::InvalidArgumentError("upload_id is not one that StartResumableUpload gave out");
}

// The parts from 1 without a gap, each of `part_bytes`.
std::vector<UploadedPart> WholeParts(const std::vector<UploadedPart>& parts, int64_t part_bytes) {
  std::vector<UploadedPart> whole;
  for (const UploadedPart& part : parts) {
    if (part.number != static_cast<int>(whole.size()) + 1 || part.size != part_bytes) break;
    whole.push_back(part);
  }
  return whole;
}

// Reads from `body` until `buffer` holds `want` bytes or the body ends.
absl::Status Fill(ByteSource& body, std::string& buffer, size_t want, bool& ended) {
  constexpr size_t kReadBytes = 1 << 20;
  while (buffer.size() < want && !ended) {
    const size_t old_size = buffer.size();
    buffer.resize(old_size + std::min(kReadBytes, want - old_size));
    absl::StatusOr<size_t> read =
        body.Read(absl::MakeSpan(buffer.data() + old_size, buffer.size() - old_size));
    if (!read.ok()) {
      buffer.resize(old_size);
      return read.status();
    }
    buffer.resize(old_size + *read);
    if (*read == 0) ended = true;
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeResumableUpload(const ResumableUpload& upload) {
  const std::string fields = absl::StrJoin(
      {std::string(kFormat), upload.key, upload.store_upload_id, absl::StrCat(upload.part_bytes),
       upload.size ? absl::StrCat(*upload.size) : std::string(), upload.sha256,
       upload.if_none_match, upload.if_match},
      absl::string_view(&kSeparator, 1));
  return absl::WebSafeBase64Escape(fields);
}

absl::StatusOr<ResumableUpload> DecodeResumableUpload(absl::string_view upload_id) {
  std::string fields;
  if (upload_id.empty() || !absl::WebSafeBase64Unescape(upload_id, &fields)) return Malformed();
  std::vector<std::string> parts = absl::StrSplit(fields, absl::ByChar(kSeparator));
  if (parts.size() != 8 || parts[0] != kFormat) return Malformed();
  ResumableUpload upload;
  upload.key = std::move(parts[1]);
  upload.store_upload_id = std::move(parts[2]);
  int64_t size = 0;
  if (!ValidateObjectKey(upload.key).ok() || upload.store_upload_id.empty() ||
      !absl::SimpleAtoi(parts[3], &upload.part_bytes) || upload.part_bytes <= 0 ||
      (!parts[4].empty() && (!absl::SimpleAtoi(parts[4], &size) || size < 0))) {
    return Malformed();
  }
  if (!parts[4].empty()) upload.size = size;
  if (!parts[5].empty() && !IsSha256Hex(parts[5])) return Malformed();
  upload.sha256 = std::move(parts[5]);
  upload.if_none_match = std::move(parts[6]);
  upload.if_match = std::move(parts[7]);
  return upload;
}

absl::StatusOr<ResumableUpload> StartResumableUpload(Upstream& upstream, const CallContext& context,
                                                     const UploadSpec& spec, int64_t part_bytes) {
  absl::StatusOr<std::string> store_upload_id = upstream.CreateMultipartUpload(context, spec);
  if (!store_upload_id.ok()) return store_upload_id.status();
  ResumableUpload upload;
  upload.key = spec.key;
  upload.store_upload_id = *std::move(store_upload_id);
  upload.part_bytes = part_bytes;
  upload.size = spec.size;
  upload.sha256 = spec.sha256;
  upload.if_none_match = spec.if_none_match;
  upload.if_match = spec.if_match;
  return upload;
}

absl::StatusOr<ResumableUploadStatus> QueryResumableUpload(Upstream& upstream,
                                                           const CallContext& context,
                                                           const ResumableUpload& upload) {
  absl::StatusOr<MultipartUploadState> state =
      upstream.ListParts(context, upload.key, upload.store_upload_id);
  if (!state.ok()) return state.status();
  ResumableUploadStatus status;
  if (state->complete) {
    status.complete = true;
    status.object = std::move(state->object);
    status.persisted_size = status.object.size;
    return status;
  }
  status.persisted_size =
      static_cast<int64_t>(WholeParts(state->parts, upload.part_bytes).size()) * upload.part_bytes;
  return status;
}

absl::StatusOr<ResumableUploadStatus> ContinueResumableUpload(
    Upstream& upstream, const CallContext& context, const ResumableUpload& upload,
    int64_t write_offset, ByteSource& body, const std::function<bool()>& finished) {
  absl::StatusOr<ResumableUploadStatus> status = QueryResumableUpload(upstream, context, upload);
  if (!status.ok()) return status;
  // A completion whose answer was lost, sent again: the object is there.
  if (status->complete) return status;
  if (write_offset < 0 || write_offset > status->persisted_size) {
    return absl::OutOfRangeError(
        absl::StrCat("write_offset ", write_offset, " is past the ", status->persisted_size,
                     " bytes the store holds of upload of \"", upload.key,
                     "\": continue from persisted_size (QueryUploadStatus)"));
  }
  std::string part;
  bool ended = false;
  // Bytes the store holds already are read and dropped, never stored twice.
  for (int64_t skip = status->persisted_size - write_offset; skip > 0 && !ended;) {
    part.clear();
    if (absl::Status read =
            Fill(body, part, static_cast<size_t>(std::min<int64_t>(skip, 1 << 20)), ended);
        !read.ok()) {
      return read;
    }
    skip -= static_cast<int64_t>(part.size());
  }
  part.clear();
  int next_part = static_cast<int>(status->persisted_size / upload.part_bytes) + 1;
  while (!ended) {
    if (absl::Status read = Fill(body, part, static_cast<size_t>(upload.part_bytes), ended);
        !read.ok()) {
      return read;
    }
    if (static_cast<int64_t>(part.size()) < upload.part_bytes) break;
    absl::StatusOr<UploadedPart> stored =
        upstream.UploadPart(context, upload.key, upload.store_upload_id, next_part++, part);
    if (!stored.ok()) return stored.status();
    status->persisted_size += upload.part_bytes;
    part.clear();
  }
  if (!finished()) return status;  // the rest of `part` is sent again by the next stream

  const int64_t total = status->persisted_size + static_cast<int64_t>(part.size());
  if (upload.size && *upload.size != total) {
    return absl::InvalidArgumentError(absl::StrCat("resumable upload of \"", upload.key,
                                                   "\" declared ", *upload.size, " bytes but sent ",
                                                   total, " in all; cancel it and start again"));
  }
  // The last part may be short; an empty object is one empty part.
  if (!part.empty() || next_part == 1) {
    absl::StatusOr<UploadedPart> stored =
        upstream.UploadPart(context, upload.key, upload.store_upload_id, next_part++, part);
    if (!stored.ok()) return stored.status();
  }
  // Every part's etag, from earlier streams too, for the completion.
  absl::StatusOr<MultipartUploadState> state =
      upstream.ListParts(context, upload.key, upload.store_upload_id);
  if (!state.ok()) return state.status();
  std::vector<UploadedPart> parts;
  int64_t listed_bytes = 0;
  for (const UploadedPart& listed : state->parts) {
    if (listed.number >= next_part) break;
    if (listed.number != static_cast<int>(parts.size()) + 1) break;
    listed_bytes += listed.size;
    parts.push_back(listed);
  }
  if (static_cast<int>(parts.size()) != next_part - 1 || listed_bytes != total) {
    return absl::UnavailableError(
        absl::StrCat("resumable upload of \"", upload.key, "\": the store lists ", parts.size(),
                     " parts of ", listed_bytes, " bytes, not the ", next_part - 1, " parts of ",
                     total, " bytes sent; another stream may be writing it"));
  }
  UploadSpec spec;
  spec.key = upload.key;
  spec.size = total;
  spec.sha256 = upload.sha256;
  spec.if_none_match = upload.if_none_match;
  spec.if_match = upload.if_match;
  absl::StatusOr<StoredObject> object =
      upstream.CompleteMultipartUpload(context, spec, upload.store_upload_id, parts);
  if (!object.ok()) return object.status();
  status->complete = true;
  status->persisted_size = total;
  status->object = *std::move(object);
  status->object.key = upload.key;
  status->object.size = total;
  if (status->object.sha256.empty()) status->object.sha256 = upload.sha256;
  return status;
}

}  // namespace objgate
