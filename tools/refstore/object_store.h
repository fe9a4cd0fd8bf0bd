#ifndef OBJGATE_TOOLS_REFSTORE_OBJECT_STORE_H_
#define OBJGATE_TOOLS_REFSTORE_OBJECT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/byte_stream.h"
#include "tools/refstore/object_file.h"
#include "tools/refstore/upload_manifest.h"

namespace objgate::refstore {

// Parts of a multipart upload are numbered from 1 to this.
inline constexpr int kMaxPartNumber = 10000;

struct ObjectStoreOptions {
  // Created if missing. Holds LOCK, tmp/, tenants/<tenant>/<sha256 of key> and
  // uploads/<tenant>/<upload id>/{manifest,part-NNNNN}.
  std::string data_dir;
  // Per tenant, counting object bytes only (not the parts of unfinished uploads); 0 means
  // no quota.
  uint64_t quota_bytes = 0;
  // 0 means no limit.
  uint64_t max_object_bytes = 0;
  // The source of last-modified times and of the time that expires uploads.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // A multipart upload, or the record of a completed one, whose last activity is older is
  // removed: at Open and whenever an upload starts.
  absl::Duration upload_expiry = absl::Hours(24);
};

struct PutOptions {
  std::string content_type = "application/octet-stream";
  // Lowercase or uppercase hex; the upload fails, storing nothing, if the bytes differ.
  std::optional<std::string> expected_sha256;
  // As expected_sha256, for the CRC32C.
  std::optional<uint32_t> expected_crc32c;
  // The size the sender announced, so that a too-large upload fails before its bytes
  // are read. The bytes that actually arrive are what counts.
  std::optional<uint64_t> declared_size;
  // Conditional writes, checked against the version the upload would replace at the
  // moment it commits, under the same lock, so that two creators of one key cannot both
  // succeed. FAILED_PRECONDITION, and nothing stored, when one does not hold.
  // Store only if the key holds no object (If-None-Match: *).
  bool if_none_match_any = false;
  // Store only if the key holds an object whose SHA-256 this If-Match value admits (see
  // IfMatchAllows); a missing object fails it too.
  std::optional<std::string> if_match;
};

// What a multipart upload will store, recorded when it starts and applied at completion.
struct StartUploadOptions {
  std::string content_type = "application/octet-stream";
  // Of the whole object, verified at completion as PutOptions' are.
  std::optional<std::string> expected_sha256;
  std::optional<uint32_t> expected_crc32c;
  // Checked at completion, atomically with its commit, as PutOptions' are.
  bool if_none_match_any = false;
  std::optional<std::string> if_match;
};

struct PartOptions {
  // Of the part; it is not stored if its bytes differ from either.
  std::optional<std::string> expected_sha256;
  std::optional<uint32_t> expected_crc32c;
  // As PutOptions::declared_size.
  std::optional<uint64_t> declared_size;
};

struct PartInfo {
  int part_number = 0;
  uint64_t size = 0;
  // Lowercase hex SHA-256 of the part's bytes; also its ETag.
  std::string sha256;
};

struct UploadListing {
  std::string key;
  std::string upload_id;
  // In ascending order; empty once complete.
  std::vector<PartInfo> parts;
  bool complete = false;
  // Of the object the upload made, once complete.
  uint64_t size = 0;
  std::string sha256;
};

struct DeleteOptions {
  // Delete only if the object's SHA-256 is admitted by this If-Match value, checked
  // atomically with the delete; FAILED_PRECONDITION otherwise. NOT_FOUND still comes first.
  std::optional<std::string> if_match;
};

struct ListOptions {
  std::string prefix;
  // Only keys after this one; empty starts at the beginning.
  std::string start_after;
  size_t max_keys = 1000;
};

struct ListResult {
  // In byte order of their keys.
  std::vector<ObjectInfo> objects;
  // More keys match; continue with start_after = objects.back().key.
  bool is_truncated = false;
};

struct StoreStats {
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

// One version of an object, open for reading. It stays readable, unchanged, even if the
// object is replaced or deleted meanwhile.
class ObjectReader {
 public:
  ObjectReader(ObjectReader&& other) noexcept;
  ObjectReader& operator=(ObjectReader&& other) noexcept;
  ~ObjectReader();

  const ObjectInfo& info() const { return info_; }

  // Reads up to `capacity` bytes of the object starting at `offset`; 0 past the end.
  absl::StatusOr<size_t> ReadAt(uint64_t offset, char* buffer, size_t capacity) const;

 private:
  friend class ObjectStore;
  ObjectReader(int fd, ObjectInfo info) : fd_(fd), info_(std::move(info)) {}

  int fd_;
  ObjectInfo info_;
};

// Objects on local disk, one namespace per tenant, safe for concurrent use.
//
// An upload streams into a temporary file that is fsynced and then renamed over the
// object's file, so a reader sees the old object or the whole new one and a crash leaves
// no partial object; the file carries its own key and metadata (see object_file.h).
// Files are named by the SHA-256 of the key, so no key can name a path. A sorted index
// per tenant, rebuilt from disk by Open, answers listings. With concurrent uploads of
// one key, the last to finish wins, unless they are conditional (PutOptions), whose
// conditions are checked against the version they would replace.
//
// Multipart uploads build one object from parts sent separately, over any time up to the
// expiry and through any number of callers, since their state is on disk: parts are
// files beside a manifest (upload_manifest.h) in the upload's directory, and completion
// streams them, in order, through Put. An upload belongs to its tenant and key; naming
// it with another answers NOT_FOUND, as for an upload that never was. A per-upload lock
// makes completion see one stable set of parts; part uploads stream unlocked and take it
// only to rename their part into place. A completed upload leaves a record (its manifest,
// without parts) that answers repeated completions and listings until it expires.
//
// Errors: INVALID_ARGUMENT for a bad tenant, key, listing option, part number or checksum
// mismatch, NOT_FOUND, FAILED_PRECONDITION for a condition that does not hold,
// RESOURCE_EXHAUSTED for the quota, OUT_OF_RANGE for the size limit, ABORTED for a
// change to a completed upload, the body's own error if it breaks, INTERNAL for the disk.
class ObjectStore {
 public:
  // Takes an exclusive lock on the directory, removes uploads that a crash interrupted
  // and loads the index and the multipart uploads, removing expired ones. DATA_LOSS names
  // any object, manifest or part file that is not whole.
  static absl::StatusOr<std::unique_ptr<ObjectStore>> Open(ObjectStoreOptions options);

  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;
  ~ObjectStore();

  absl::StatusOr<ObjectInfo> Put(absl::string_view tenant, absl::string_view key,
                                 ByteSource& body, const PutOptions& options);
  absl::StatusOr<ObjectReader> Get(absl::string_view tenant, absl::string_view key) const;
  absl::Status Delete(absl::string_view tenant, absl::string_view key,
                      const DeleteOptions& options = {});
  absl::StatusOr<ListResult> List(absl::string_view tenant, const ListOptions& options) const;
  StoreStats Stats() const;

  // Multipart uploads (see above). StartUpload answers the new upload's id: 32 lowercase
  // hex digits from the kernel's CSPRNG, so that ids cannot be guessed.
  absl::StatusOr<std::string> StartUpload(absl::string_view tenant, absl::string_view key,
                                          const StartUploadOptions& options);
  // Stores `body` as part `part_number`, replacing an earlier one whole. A part larger
  // than max_object_bytes is OUT_OF_RANGE; parts do not count toward the quota.
  absl::StatusOr<PartInfo> PutPart(absl::string_view tenant, absl::string_view key,
                                   absl::string_view upload_id, int part_number,
                                   ByteSource& body, const PartOptions& options = {});
  absl::StatusOr<UploadListing> ListParts(absl::string_view tenant, absl::string_view key,
                                          absl::string_view upload_id) const;
  // Stores parts 1..N as the object `key`, which must pass the checks and conditions of
  // a Put, then removes the parts. INVALID_ARGUMENT names a missing part; on a failure
  // before the object is stored the upload stays as it was. Completing a completed upload
  // answers the object it made again and writes nothing.
  absl::StatusOr<ObjectInfo> CompleteUpload(absl::string_view tenant, absl::string_view key,
                                            absl::string_view upload_id);
  // Removes an unfinished upload and its parts; ABORTED for a completed one.
  absl::Status AbortUpload(absl::string_view tenant, absl::string_view key,
                           absl::string_view upload_id);

 private:
  struct Tenant {
    absl::btree_map<std::string, ObjectInfo> objects;
    uint64_t bytes = 0;
  };
  struct Upload {
    Upload(std::string tenant, std::string id, std::string key)
        : tenant(std::move(tenant)), id(std::move(id)), key(std::move(key)) {}
    const std::string tenant;
    const std::string id;
    const std::string key;
    absl::Mutex mu;
    UploadManifest manifest ABSL_GUARDED_BY(mu);
    absl::btree_map<int, PartInfo> parts ABSL_GUARDED_BY(mu);
    // The manifest's, or that of the newest part, whichever is later.
    absl::Time last_activity ABSL_GUARDED_BY(mu);
    // Aborted or expired: whoever found it before then must not use it.
    bool removed ABSL_GUARDED_BY(mu) = false;
  };

  ObjectStore(ObjectStoreOptions options, int lock_fd);

  absl::Status LoadIndex();
  // Creates the tenant's directory on its first upload.
  absl::Status EnsureTenant(absl::string_view tenant) ABSL_LOCKS_EXCLUDED(mu_);
  // Bytes the tenant may still add by writing `key`, or nullopt without a quota.
  std::optional<uint64_t> QuotaRoom(absl::string_view tenant, absl::string_view key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The object `key` holds now, or null.
  const ObjectInfo* FindObject(absl::string_view tenant, absl::string_view key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckSize(absl::string_view tenant, absl::string_view key, uint64_t size) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string TenantDir(absl::string_view tenant) const;
  std::string ObjectPath(absl::string_view tenant, absl::string_view key) const;

  // Multipart uploads (object_store_uploads.cc). Lock order: an Upload's mu, then mu_.
  absl::Status LoadUploads() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status LoadUpload(const std::string& tenant, const std::string& id)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status SweepExpiredUploads() ABSL_LOCKS_EXCLUDED(mu_);
  // The upload `id` of `tenant` if it is for `key`; NOT_FOUND otherwise.
  absl::StatusOr<std::shared_ptr<Upload>> FindUpload(absl::string_view tenant,
                                                     absl::string_view key,
                                                     absl::string_view id) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // NOT_FOUND if the upload was removed or has expired meanwhile.
  absl::Status CheckUploadLive(const Upload& upload) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(upload.mu);
  // Moves the upload's directory into tmp/ and forgets it.
  absl::Status RemoveUpload(Upload& upload) ABSL_EXCLUSIVE_LOCKS_REQUIRED(upload.mu)
      ABSL_LOCKS_EXCLUDED(mu_);
  std::string UploadDir(absl::string_view tenant, absl::string_view id) const;
  std::string PartPath(absl::string_view tenant, absl::string_view id, int part_number) const;

  const ObjectStoreOptions options_;
  const int lock_fd_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Tenant> tenants_ ABSL_GUARDED_BY(mu_);
  // By tenant, then upload id.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, std::shared_ptr<Upload>>>
      uploads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace objgate::refstore

#endif  // OBJGATE_TOOLS_REFSTORE_OBJECT_STORE_H_
