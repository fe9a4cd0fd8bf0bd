#ifndef OBJGATE_TOOLS_REFSTORE_OBJECT_STORE_H_
#define OBJGATE_TOOLS_REFSTORE_OBJECT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
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

namespace objgate::refstore {

struct ObjectStoreOptions {
  // Created if missing. Holds LOCK, tmp/ and tenants/<tenant>/<sha256 of key>.
  std::string data_dir;
  // Per tenant, counting object bytes only; 0 means no quota.
  uint64_t quota_bytes = 0;
  // 0 means no limit.
  uint64_t max_object_bytes = 0;
  // The source of last-modified times.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

struct PutOptions {
  std::string content_type = "application/octet-stream";
  // Lowercase or uppercase hex; the upload fails, storing nothing, if the bytes differ.
  std::optional<std::string> expected_sha256;
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
// Errors: INVALID_ARGUMENT for a bad tenant, key, listing option or checksum mismatch,
// NOT_FOUND, FAILED_PRECONDITION for a condition that does not hold, RESOURCE_EXHAUSTED
// for the quota, OUT_OF_RANGE for the size limit, the body's own error if it breaks,
// INTERNAL for the disk.
class ObjectStore {
 public:
  // Takes an exclusive lock on the directory, removes uploads that a crash interrupted
  // and loads the index. DATA_LOSS names any object file that is not whole.
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

 private:
  struct Tenant {
    absl::btree_map<std::string, ObjectInfo> objects;
    uint64_t bytes = 0;
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

  const ObjectStoreOptions options_;
  const int lock_fd_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Tenant> tenants_ ABSL_GUARDED_BY(mu_);
};

}  // namespace objgate::refstore

#endif  // OBJGATE_TOOLS_REFSTORE_OBJECT_STORE_H_
