#ifndef OBJGATE_SERVER_UPSTREAM_S3_ANSWERS_H_
#define OBJGATE_SERVER_UPSTREAM_S3_ANSWERS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/upstream/upstream.h"

namespace objgate {

// The XML of the S3 dialect: parsers for S3's answers, and the one request body the gateway
// writes. Element names are those of the Amazon S3 API reference. Elements are matched by
// local name, so an answer's namespace (S3's xmlns="http://s3.amazonaws.com/doc/2006-03-01/",
// a prefix, or none) does not matter, and elements a parser does not know are ignored.
//
// The bytes are untrusted: every parser accepts any input without crashing and answers
// INTERNAL, naming the answer and what was wrong in one short line, for anything that is
// not the documented shape.
//
// Keys under encoding-type=url: AWS S3 encodes a space as '+' (botocore, AWS's own SDK,
// decodes these answers with unquote_plus: botocore/compat.py `unquote_str =
// unquote_plus`, used by handlers.py decode_list_object_v2; MinIO, which mimics S3, writes
// '+' too, cmd/api-utils.go s3URLEncode), Ceph RGW as "%20" (rgw_common.cc url_encode;
// s3-tests' test_bucket_listv2_encoding_basic expects "quux%20ab/"). Both encode a literal
// '+' as "%2B", so decoding '+' as a space reads both correctly.

// The largest answer a parser reads; larger ones are refused before parsing. The largest
// legitimate one, a listing of 1000 keys of 1024 bytes each url-encoded, is about 4 MiB.
// Parsing holds up to about 18 times the body in memory (pugixml's nodes), so the HTTP
// layer should stop reading at this size too.
inline constexpr size_t kMaxS3AnswerBytes = size_t{32} << 20;

// <Error><Code>NoSuchKey</Code><Message>...</Message>...</Error>
struct S3Error {
  // Never empty.
  std::string code;
  // Empty when the store sent none (Ceph RGW 16 sends it empty). Untrusted text: pass it
  // through OneLine (common/one_line.h) before it goes in a message.
  std::string message;
  std::string request_id;
};

// nullopt when `body` is not an S3 error document (an <Error> with a <Code>).
std::optional<S3Error> ParseS3Error(absl::string_view body);

// ListObjectsV2's answer (ListBucketResult). Keys and common prefixes are percent-decoded
// when the answer says <EncodingType>url</EncodingType>; the gateway asks for
// encoding-type=url so that any key, even one with characters XML 1.0 cannot carry,
// survives. The answer's echo of the request (Prefix, StartAfter, Delimiter) is not read:
// Ceph RGW sends Prefix and StartAfter unencoded even under encoding-type=url.
struct ListObjectsV2Answer {
  // In the answer's order. Each has a key and a size; last_modified is the epoch when the
  // answer gave none; etag is without quotes; content_type is empty (listings carry none).
  std::vector<ObjectEntry> entries;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  // Opaque, sent back as it is (S3 never encodes it). Never empty when is_truncated.
  std::string next_continuation_token;
};
absl::StatusOr<ListObjectsV2Answer> ParseListObjectsV2(absl::string_view body);

// CreateMultipartUpload's answer (InitiateMultipartUploadResult): its UploadId, never empty.
absl::StatusOr<std::string> ParseInitiateMultipartUpload(absl::string_view body);


// CompleteMultipartUpload's request body:
// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"..."</ETag></Part>...
// The parts go in the order given, which S3 requires to be ascending part numbers. An etag
// must not contain NUL (no header value does).
std::string CompleteMultipartUploadBody(absl::Span<const UploadedPart> parts);

// What a 200 answer to CompleteMultipartUpload or CopyObject says. S3 sends its 200
// before it has combined the parts or copied the bytes, keeps the connection alive with
// whitespace while it works, and only then writes either a CompleteMultipartUploadResult
// (CopyObjectResult) or an <Error>. So the status line says nothing, and the body says
// whether the object was made.
struct DeferredResult {
  // The new object's ETag without quotes; empty when `error` is set, or when the store
  // named none (Ceph RGW 16 answers <ETag></ETag>; a HEAD then gives it).
  std::string etag;
  // Set when S3 failed the completion after its 200. It is an answer, not a malformed
  // one: the caller maps it through the same table as an error answer with that code
  // (status_mapping.h, with the error status S3 sends that code with, since the 200 says
  // nothing), so that InternalError or SlowDown are retried and InvalidPart or
  // NoSuchUpload are not, exactly as when S3 refuses with an error status. This parser
  // decides nothing about them.
  std::optional<S3Error> error;
};
// INTERNAL only for a body that is neither document: cut short, not XML, or another answer.
absl::StatusOr<DeferredResult> ParseCompleteMultipartUpload(absl::string_view body);
absl::StatusOr<DeferredResult> ParseCopyObject(absl::string_view body);

// ListParts' answer (ListPartsResult): the parts of a multipart upload, in ascending order.
struct ListPartsAnswer {
  std::vector<UploadedPart> parts;
  bool is_truncated = false;
  // Where the next page starts (part-number-marker); set when is_truncated.
  int next_part_number_marker = 0;
};
absl::StatusOr<ListPartsAnswer> ParseListParts(absl::string_view body);

// ListMultipartUploads' answer (ListMultipartUploadsResult): the uploads in progress, used
// to check that no upload the gateway started is left behind. Keys and NextKeyMarker are
// percent-decoded when the answer says <EncodingType>url</EncodingType>. Ceph RGW (16)
// encodes the keys when asked but does not say so, so ask it without encoding-type, or
// match uploads by upload id.
struct MultipartUploadEntry {
  std::string key;
  std::string upload_id;
};
struct ListMultipartUploadsAnswer {
  // Each has a key and an upload id.
  std::vector<MultipartUploadEntry> uploads;
  bool is_truncated = false;
  // Where the next page starts (key-marker, upload-id-marker). next_key_marker is never
  // empty when is_truncated.
  std::string next_key_marker;
  std::string next_upload_id_marker;
};
absl::StatusOr<ListMultipartUploadsAnswer> ParseListMultipartUploads(absl::string_view body);

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_S3_ANSWERS_H_
