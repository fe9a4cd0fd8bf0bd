#ifndef OBJGATE_SERVER_UPSTREAM_UPSTREAM_H_
#define OBJGATE_SERVER_UPSTREAM_UPSTREAM_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/byte_stream.h"

namespace objgate {

// What the layers of one call report back for the access log and metrics.
struct CallStats {
  // Attempts repeated after a retryable failure.
  int retries = 0;
  // Downloads continued from the next byte after the upstream broke off mid-body.
  int resumes = 0;
};

// What every upstream call carries from the caller's RPC.
struct CallContext {
  // Sent as X-Tenant-ID; empty for the calls that need no tenant.
  std::string tenant_id;
  // The caller's deadline: no upstream work outlives it.
  absl::Time deadline = absl::InfiniteFuture();
  // True once the caller went away; polled during transfers.
  std::function<bool()> is_cancelled;
  // Sent as X-Request-Id so that upstream logs can be matched with the gateway's.
  std::string request_id;
  // Where the layers count what they did; may be null.
  CallStats* stats = nullptr;
};

struct UpstreamServerInfo {
  // "rest" or "s3".
  std::string dialect;
  std::string status;
  std::string version;
  std::string performance;
  // What the gateway can do with this upstream beyond the calls every upstream serves;
  // ServerInfo.capabilities in storage.proto names them.
  std::vector<std::string> capabilities;
};

struct UploadSpec {
  std::string key;
  std::string content_type;
  // Sent as Content-Length when known, else the body is chunked.
  std::optional<int64_t> size;
  // Hex SHA-256 the caller declared, if any. The upstream stores it with the object where
  // the dialect can. Verifying it is the body source's job: it fails its last Read when
  // the bytes do not match, so the upstream never completes such an upload.
  std::string sha256;
  std::map<std::string, std::string> metadata;
  // Preconditions the store must enforce in the write itself (storage.proto, ObjectSpec):
  // "*" to create only, or the etag of the one version to replace; empty for none. An
  // upstream that cannot enforce one refuses the upload (UNIMPLEMENTED) before storing
  // anything.
  std::string if_none_match;
  std::string if_match;

  bool conditional() const { return !if_none_match.empty() || !if_match.empty(); }
};

// What the upstream stored.
struct StoredObject {
  std::string key;
  int64_t size = 0;
  // As the upstream reported it; empty when it did not.
  std::string etag;
  // The SHA-256 stored with the object, where the layer that stored it knows it; empty
  // otherwise.
  std::string sha256;
};

struct DeleteSpec {
  std::string key;
  // Delete only if the object's etag is this one (If-Match); empty for any version.
  std::string if_match;
};

// A copy from one key of the caller's tenant to another.
struct CopySpec {
  std::string source_key;
  std::string destination_key;
  // Copy only if the source's etag is this one; empty for any version.
  std::string source_if_match;
};

struct DownloadSpec {
  std::string key;
  // Bytes [offset, offset + length) are wanted; no length means to the end.
  int64_t offset = 0;
  std::optional<int64_t> length;
  // Only read the object if its etag is this one (If-Match); empty for any version.
  std::string if_match;
};

// What the upstream said about the bytes that are about to follow.
struct DownloadHead {
  // The whole object's size.
  int64_t object_size = 0;
  // The bytes that follow: [offset, offset + length).
  int64_t offset = 0;
  int64_t length = 0;
  std::string etag;
  std::string content_type;
  // The whole object's SHA-256 as the upstream declared it (X-Checksum-SHA256); empty
  // when it declared none.
  std::string object_sha256;
  // The whole object's CRC32C as the upstream declared it (REST: X-Checksum-CRC32C); unset
  // when it declared none. Checking bytes against it costs a twentieth of hashing them.
  std::optional<uint32_t> object_crc32c;
  // When the object was last written, when the upstream said.
  std::optional<absl::Time> last_modified;
  // The user metadata stored with the object, names lowercased; empty when the upstream
  // keeps none.
  std::map<std::string, std::string> metadata;
};

// Receives a download. OnHead comes once, before any OnData; both may block, which is how
// a slow caller slows the upstream read. An error aborts the download and is returned.
class DownloadSink {
 public:
  virtual ~DownloadSink() = default;
  virtual absl::Status OnHead(const DownloadHead& head) = 0;
  virtual absl::Status OnData(absl::string_view bytes) = 0;
};

// Asks for the keys that start with `prefix` and sort strictly after `start_after`.
struct ListQuery {
  std::string prefix;
  std::string start_after;
  // The most entries the caller wants in this page.
  int max_keys = 1000;
  // The previous page's ListPage::next_continuation, when it gave one: where the store
  // left off, which it finds faster than `start_after`.
  std::string continuation;
  // When not empty, keys that hold it after `prefix` are folded into common prefixes
  // (ListPage::common_prefixes), each reported once.
  std::string delimiter;
};

struct ObjectEntry {
  std::string key;
  int64_t size = 0;
  absl::Time last_modified = absl::UnixEpoch();
  std::string etag;
  std::string content_type;
};

// The answer to a ListQuery: matching entries in key order, each after the query's
// `start_after`. Usually at most `max_keys` of them; a store that cannot paginate answers
// all the rest of its listing in one page, which the caller pages itself.
struct ListPage {
  std::vector<ObjectEntry> entries;
  // More entries follow `next_start_after`.
  bool is_truncated = false;
  std::string next_start_after;
  // The store's own token for the next page, opaque; empty when it has none.
  std::string next_continuation;
  // With ListQuery::delimiter: the common prefixes of this page, in order, each strictly
  // after the query's `start_after`. `max_keys` counts them with the entries, and
  // `next_start_after` is the page's last item, entry or prefix.
  std::vector<std::string> common_prefixes;
};

// One part of a multipart upload, as the store holds it.
struct UploadedPart {
  // From 1.
  int number = 0;
  int64_t size = 0;
  std::string etag;
};

// What the store holds of a multipart upload.
struct MultipartUploadState {
  // Every part stored, in ascending order of number.
  std::vector<UploadedPart> parts;
  // The upload completed; `object` is what it made (as far as the store remembers).
  bool complete = false;
  StoredObject object;
};

// The object store, one method per operation: the seam between the gRPC service and the
// store's dialect. Implementations: RestUpstream speaks the REST dialect and S3Upstream
// S3, each over an HttpClient; RetryingUpstream wraps another Upstream with the retry policy;
// FakeUpstream (testing/fake_upstream.h) keeps objects in memory for tests. Every method
// may be called from many threads at once. Errors are absl::Status values whose code is
// the gRPC code the caller gets, marked retryable (common/retry/retryable.h) where
// trying again may succeed.
class Upstream {
 public:
  virtual ~Upstream() = default;

  virtual absl::StatusOr<UpstreamServerInfo> GetServerInfo(const CallContext& context) = 0;

  // Streams the object's bytes from `body` to the upstream. The object exists only if this
  // returns OK: an error from `body` aborts the request before the upstream has a whole body.
  virtual absl::StatusOr<StoredObject> Upload(const CallContext& context, const UploadSpec& spec,
                                              ByteSource& body) = 0;

  // True when the store hashes every upload itself: it checks UploadSpec::sha256 before it
  // stores anything, and Upload reports the SHA-256 of the bytes it stored
  // (StoredObject::sha256). The gateway then need not hash an upload's bytes, and the
  // caller, comparing that SHA-256 with its own, checks the whole way to the store. May
  // ask the store the first time.
  virtual bool HashesUploads(const CallContext& context) { return false; }

  virtual absl::Status Download(const CallContext& context, const DownloadSpec& spec,
                                DownloadSink& sink) = 0;

  virtual absl::StatusOr<ListPage> List(const CallContext& context, const ListQuery& query) = 0;

  virtual absl::Status Delete(const CallContext& context, const DeleteSpec& spec) = 0;

  // Copies an object with its content type, metadata and stored checksum; the destination
  // appears whole or not at all.
  virtual absl::StatusOr<StoredObject> Copy(const CallContext& context, const CopySpec& spec) = 0;

  // Multipart uploads held by the store, which resumable uploads (resumable_upload.h) are
  // built on: the state lives in the store, so any gateway can continue one. Each call names
  // the upload by the object's key and the store's `upload_id`, and the store scopes both
  // to the tenant, so another tenant's calls find no such upload (NOT_FOUND). Upstreams
  // without them answer UNIMPLEMENTED. `spec` as for Upload; its conditions, size and
  // checksum apply at completion.
  virtual absl::StatusOr<std::string> CreateMultipartUpload(const CallContext& context,
                                                            const UploadSpec& spec) = 0;
  // Stores `bytes` as part `number` (1 to 10000), replacing an earlier part of that number.
  virtual absl::StatusOr<UploadedPart> UploadPart(const CallContext& context,
                                                  const std::string& key,
                                                  const std::string& upload_id, int number,
                                                  absl::string_view bytes) = 0;
  virtual absl::StatusOr<MultipartUploadState> ListParts(const CallContext& context,
                                                         const std::string& key,
                                                         const std::string& upload_id) = 0;
  // Makes the object of `parts`, which must be the upload's parts from 1 without a gap.
  // `spec` names the key, the object's size and the conditions to enforce now.
  virtual absl::StatusOr<StoredObject> CompleteMultipartUpload(
      const CallContext& context, const UploadSpec& spec, const std::string& upload_id,
      const std::vector<UploadedPart>& parts) = 0;
  virtual absl::Status AbortMultipartUpload(const CallContext& context, const std::string& key,
                                            const std::string& upload_id) = 0;

  // Liveness and readiness probes; OK when the upstream answered as healthy.
  virtual absl::Status CheckLive(const CallContext& context) = 0;
  virtual absl::Status CheckReady(const CallContext& context) = 0;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_UPSTREAM_H_
