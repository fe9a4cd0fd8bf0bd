// Fuzzes the XML of the S3 dialect (server/upstream/s3_answers.h). Input: one letter
// picking the parser ('E' error, 'L' ListObjectsV2, 'I' CreateMultipartUpload, 'C'
// CompleteMultipartUpload, 'M' ListMultipartUploads), then the body as S3 would send it;
// or 'B' then ETags one per line, written with CompleteMultipartUploadBody and read back.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/upstream/s3_answers.h"
#include "tests/fuzz/fuzz_check.h"

namespace objgate {
namespace {

void CheckError(absl::string_view body) {
  std::optional<S3Error> error = ParseS3Error(body);
  if (!error) return;
  FUZZ_CHECK(!error->code.empty());
  FUZZ_CHECK(absl::StripAsciiWhitespace(error->code) == error->code);
}

void CheckListObjectsV2(absl::string_view body) {
  absl::StatusOr<ListObjectsV2Answer> answer = ParseListObjectsV2(body);
  if (!answer.ok()) return;
  for (const ObjectEntry& entry : answer->entries) {
    FUZZ_CHECK(!entry.key.empty());
    FUZZ_CHECK(entry.size >= 0);
    FUZZ_CHECK(entry.content_type.empty());
  }
  for (const std::string& prefix : answer->common_prefixes) FUZZ_CHECK(!prefix.empty());
  // The gateway asks for the next page with this token; without one it would ask for the
  // first page again and loop forever.
  if (answer->is_truncated) FUZZ_CHECK(!answer->next_continuation_token.empty());
}

void CheckInitiate(absl::string_view body) {
  absl::StatusOr<std::string> upload_id = ParseInitiateMultipartUpload(body);
  if (upload_id.ok()) FUZZ_CHECK(!upload_id->empty());
}

void CheckComplete(absl::string_view body) {
  absl::StatusOr<DeferredResult> answer = ParseCompleteMultipartUpload(body);
  if (!answer.ok()) return;
  if (answer->error) {
    FUZZ_CHECK(!answer->error->code.empty());
    FUZZ_CHECK(answer->etag.empty());
    // The error in a 200 reads as the same error would with an error status.
    std::optional<S3Error> error = ParseS3Error(body);
    FUZZ_CHECK(error.has_value() && error->code == answer->error->code);
  } else {
    FUZZ_CHECK(!ParseS3Error(body).has_value());
  }
}

void CheckListMultipartUploads(absl::string_view body) {
  absl::StatusOr<ListMultipartUploadsAnswer> answer = ParseListMultipartUploads(body);
  if (!answer.ok()) return;
  for (const MultipartUploadEntry& upload : answer->uploads) {
    FUZZ_CHECK(!upload.key.empty());
    FUZZ_CHECK(!upload.upload_id.empty());
  }
  if (answer->is_truncated) FUZZ_CHECK(!answer->next_key_marker.empty());
}

// The parts as pugixml reads them back; nullopt when the body is not the documented shape.
std::optional<std::vector<UploadedPart>> ReadBack(const std::string& body) {
  pugi::xml_document document;
  if (!document.load_buffer(body.data(), body.size())) return std::nullopt;
  pugi::xml_node root = document.document_element();
  if (std::string(root.name()) != "CompleteMultipartUpload") return std::nullopt;
  std::vector<UploadedPart> parts;
  for (pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    if (std::string(child.name()) != "Part") return std::nullopt;
    parts.push_back({child.child("PartNumber").text().as_int(), 0, child.child_value("ETag")});
  }
  return parts;
}

void CheckCompleteBody(absl::string_view lines) {
  std::vector<UploadedPart> parts;
  int i = 0;
  for (absl::string_view etag : absl::StrSplit(lines, '\n')) {
    // What no header value holds: NUL, which C strings (and so pugixml) cannot carry, and
    // CR, which XML reads back as LF.
    if (etag.find('\0') != absl::string_view::npos || etag.find('\r') != absl::string_view::npos) {
      return;
    }
    parts.push_back({i * 7919 - 10000, 0, std::string(etag)});
    ++i;
  }
  const std::string body = CompleteMultipartUploadBody(parts);
  std::optional<std::vector<UploadedPart>> read = ReadBack(body);
  FUZZ_CHECK(read.has_value());
  FUZZ_CHECK(read->size() == parts.size());
  for (size_t p = 0; p < parts.size(); ++p) {
    FUZZ_CHECK((*read)[p].number == parts[p].number);
    // Quoted once: read back and written again, the body is the same.
    const std::string& etag = (*read)[p].etag;
    FUZZ_CHECK(etag.size() >= 2 && etag.front() == '"' && etag.back() == '"');
  }
  FUZZ_CHECK(CompleteMultipartUploadBody(*read) == body);
}

}  // namespace
}  // namespace objgate

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 'E':
      objgate::CheckError(body);
      break;
    case 'L':
      objgate::CheckListObjectsV2(body);
      break;
    case 'I':
      objgate::CheckInitiate(body);
      break;
    case 'C':
      objgate::CheckComplete(body);
      break;
    case 'M':
      objgate::CheckListMultipartUploads(body);
      break;
    case 'B':
      objgate::CheckCompleteBody(body);
      break;
  }
  return 0;
}
