#include "tools/refstore/object_store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/validation.h"
#include "tools/refstore/conditional_get.h"
#include "tools/refstore/store_internal.h"

namespace objgate::refstore {
namespace {

absl::Status CheckListOptions(const ListOptions& options) {
  absl::Status status = ValidateOptionalKey(options.prefix, "prefix");
  if (status.ok()) status = ValidateOptionalKey(options.start_after, "start_after");
  if (status.ok() && options.max_keys == 0) {
    status = absl::InvalidArgumentError("max_keys must be at least 1");
  }
  return status;
}

absl::Status ObjectNotFound(absl::string_view key) {
  return absl::NotFoundError(absl::StrCat("object ", key, " not found"));
}

// Whether `if_match`, if given, admits the object `key` holds now (null when none).
absl::Status CheckIfMatch(absl::string_view key, const ObjectInfo* current,
                          const std::optional<std::string>& if_match) {
  if (!if_match.has_value()) return absl::OkStatus();
  if (current == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("If-Match: object ", key, " does not exist"));
  }
  if (!IfMatchAllows(*if_match, current->sha256)) {
    return absl::FailedPreconditionError(
        absl::StrCat("If-Match does not match the ETag \"", current->sha256, "\" of object ", key));
  }
  return absl::OkStatus();
}

absl::Status CheckPutConditions(absl::string_view key, const ObjectInfo* current,
                                const PutOptions& options) {
  if (options.if_none_match_any && current != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("If-None-Match: object ", key, " already exists"));
  }
  return CheckIfMatch(key, current, options.if_match);
}

}  // namespace

ObjectReader::ObjectReader(ObjectReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), info_(std::move(other.info_)) {}

ObjectReader& ObjectReader::operator=(ObjectReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    info_ = std::move(other.info_);
  }
  return *this;
}

ObjectReader::~ObjectReader() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<size_t> ObjectReader::ReadAt(uint64_t offset, char* buffer, size_t capacity) const {
  if (offset >= info_.size) return 0;
  // The object's bytes are followed by its trailer, which must not leak out.
  const size_t wanted = static_cast<size_t>(std::min<uint64_t>(capacity, info_.size - offset));
  while (true) {
    const ssize_t got = pread(fd_, buffer, wanted, offset);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return ErrnoError("pread", info_.key);
  }
}

absl::StatusOr<std::unique_ptr<ObjectStore>> ObjectStore::Open(ObjectStoreOptions options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("data_dir is empty");
  if (options.upload_expiry <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("upload_expiry must be positive");
  }
  std::error_code error;
  std::filesystem::create_directories(options.data_dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", options.data_dir, ": ", error.message()));
  }
  const std::string lock_path = options.data_dir + "/LOCK";
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return ErrnoError("open", lock_path);
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd);
    return absl::FailedPreconditionError(
        absl::StrCat("another process is using the data directory ", options.data_dir));
  }
  std::unique_ptr<ObjectStore> store(new ObjectStore(std::move(options), lock_fd));
  absl::Status loaded = store->LoadIndex();
  if (loaded.ok()) loaded = store->LoadUploads();
  if (loaded.ok()) loaded = store->SweepExpiredUploads();
  if (!loaded.ok()) return loaded;
  return store;
}

ObjectStore::ObjectStore(ObjectStoreOptions options, int lock_fd)
    : options_(std::move(options)), lock_fd_(lock_fd) {}

ObjectStore::~ObjectStore() { close(lock_fd_); }

absl::Status ObjectStore::LoadIndex() {
  const std::string tmp_dir = options_.data_dir + "/tmp";
  const std::string tenants_dir = options_.data_dir + "/tenants";
  for (const std::string& dir : {tmp_dir, tenants_dir, options_.data_dir + "/uploads"}) {
    absl::Status made = MakeDirectory(dir);
    if (!made.ok()) return made;
  }
  std::error_code error;
  // Anything in tmp/ is an upload or part that never committed, or what an abort or an
  // expiry left to remove.
  for (auto it = std::filesystem::directory_iterator(tmp_dir, error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    std::filesystem::remove_all(it->path(), error);
  }
  if (error) return absl::InternalError(absl::StrCat("cleaning ", tmp_dir, ": ", error.message()));

  absl::MutexLock lock(&mu_);
  for (auto tenant_it = std::filesystem::directory_iterator(tenants_dir, error);
       !error && tenant_it != std::filesystem::directory_iterator(); tenant_it.increment(error)) {
    const std::string tenant_name = tenant_it->path().filename().string();
    if (!ValidateTenantId(tenant_name).ok() || !tenant_it->is_directory()) {
      return absl::DataLossError(
          absl::StrCat("unexpected entry ", tenant_it->path().string(), " in ", tenants_dir));
    }
    Tenant& tenant = tenants_[tenant_name];
    for (auto object_it = std::filesystem::directory_iterator(tenant_it->path(), error);
         !error && object_it != std::filesystem::directory_iterator(); object_it.increment(error)) {
      const std::string path = object_it->path().string();
      const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return ErrnoError("open", path);
      absl::StatusOr<ObjectInfo> info = ReadObjectTrailer(fd);
      close(fd);
      if (info.ok() && Sha256::Hex(info->key) != object_it->path().filename().string()) {
        info = absl::DataLossError("file name does not match the key it holds");
      }
      if (!info.ok()) {
        return absl::DataLossError(absl::StrCat(path, ": ", info.status().message(),
                                                "; move it out of the data directory"));
      }
      tenant.bytes += info->size;
      std::string key = info->key;
      tenant.objects.emplace(std::move(key), *std::move(info));
    }
  }
  if (error) {
    return absl::InternalError(absl::StrCat("reading ", tenants_dir, ": ", error.message()));
  }
  return absl::OkStatus();
}

std::string ObjectStore::TenantDir(absl::string_view tenant) const {
  return absl::StrCat(options_.data_dir, "/tenants/", tenant);
}

std::string ObjectStore::ObjectPath(absl::string_view tenant, absl::string_view key) const {
  return absl::StrCat(TenantDir(tenant), "/", Sha256::Hex(key));
}

absl::Status ObjectStore::EnsureTenant(absl::string_view tenant) {
  absl::MutexLock lock(&mu_);
  if (tenants_.contains(tenant)) return absl::OkStatus();
  absl::Status status = MakeDirectory(TenantDir(tenant));
  if (status.ok()) status = SyncDirectory(options_.data_dir + "/tenants");
  if (status.ok()) tenants_.try_emplace(tenant);
  return status;
}

std::optional<uint64_t> ObjectStore::QuotaRoom(absl::string_view tenant,
                                               absl::string_view key) const {
  if (options_.quota_bytes == 0) return std::nullopt;
  uint64_t used = 0;
  if (auto tenant_it = tenants_.find(tenant); tenant_it != tenants_.end()) {
    used = tenant_it->second.bytes;
    // Replacing an object frees its old bytes.
    if (auto it = tenant_it->second.objects.find(key); it != tenant_it->second.objects.end()) {
      used -= it->second.size;
    }
  }
  return used >= options_.quota_bytes ? 0 : options_.quota_bytes - used;
}

const ObjectInfo* ObjectStore::FindObject(absl::string_view tenant, absl::string_view key) const {
  auto tenant_it = tenants_.find(tenant);
  if (tenant_it == tenants_.end()) return nullptr;
  auto it = tenant_it->second.objects.find(key);
  return it == tenant_it->second.objects.end() ? nullptr : &it->second;
}

absl::Status ObjectStore::CheckSize(absl::string_view tenant, absl::string_view key,
                                    uint64_t size) const {
  if (options_.max_object_bytes != 0 && size > options_.max_object_bytes) {
    return absl::OutOfRangeError(
        absl::StrCat("object is larger than the limit of ", options_.max_object_bytes, " bytes"));
  }
  const std::optional<uint64_t> room = QuotaRoom(tenant, key);
  if (room.has_value() && size > *room) {
    return absl::ResourceExhaustedError(
        absl::StrCat("Quota exceeded: tenant ", tenant, " has room for ", *room,
                     " more bytes of its quota of ", options_.quota_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<ObjectInfo> ObjectStore::Put(absl::string_view tenant, absl::string_view key,
                                            ByteSource& body, const PutOptions& options) {
  absl::Status status = ValidateTenantAndKey(tenant, key);
  if (status.ok()) status = CheckPutOptions(options);
  if (status.ok() && options.declared_size.has_value()) {
    absl::MutexLock lock(&mu_);
    status = CheckSize(tenant, key, *options.declared_size);
  }
  if (status.ok()) status = EnsureTenant(tenant);
  if (!status.ok()) return status;

  absl::StatusOr<TempFile> temp = TempFile::Create(options_.data_dir + "/tmp");
  if (!temp.ok()) return temp.status();
  // Checked as bytes arrive so that an oversized chunked upload stops early.
  absl::StatusOr<WrittenBody> written = WriteBody(body, *temp, [&](uint64_t size) {
    absl::MutexLock lock(&mu_);
    return CheckSize(tenant, key, size);
  });
  if (!written.ok()) return written.status();
  const uint64_t size = written->size;

  ObjectInfo info;
  info.key = std::string(key);
  info.size = size;
  info.sha256 = written->sha256;
  info.crc32c = written->crc32c;
  info.content_type = options.content_type;
  info.last_modified = options_.clock();
  status = CheckExpectedSha256(options.expected_sha256, info.sha256, "the received bytes");
  if (status.ok()) {
    status = CheckExpectedCrc32c(options.expected_crc32c, written->crc32c, "the received bytes");
  }
  if (!status.ok()) return status;
  status = temp->Write(EncodeObjectTrailer(info));
  if (status.ok()) status = temp->SyncAndClose();
  if (!status.ok()) return status;

  {
    absl::MutexLock lock(&mu_);
    // Checked here, not before the body streamed, so that no other write of the key can
    // come between the check and the rename.
    status = CheckPutConditions(key, FindObject(tenant, key), options);
    // Other uploads may have used the quota while this one streamed.
    if (status.ok()) status = CheckSize(tenant, key, size);
    if (status.ok()) status = temp->Commit(ObjectPath(tenant, key));
    if (!status.ok()) return status;
    Tenant& entry = tenants_[tenant];
    auto [it, inserted] = entry.objects.try_emplace(info.key, info);
    if (!inserted) {
      entry.bytes -= it->second.size;
      it->second = info;
    }
    entry.bytes += size;
  }
  status = SyncDirectory(TenantDir(tenant));
  if (!status.ok()) return status;
  return info;
}

absl::StatusOr<ObjectReader> ObjectStore::Get(absl::string_view tenant,
                                              absl::string_view key) const {
  absl::Status status = ValidateTenantAndKey(tenant, key);
  if (!status.ok()) return status;
  absl::MutexLock lock(&mu_);
  auto tenant_it = tenants_.find(tenant);
  if (tenant_it == tenants_.end()) return ObjectNotFound(key);
  auto it = tenant_it->second.objects.find(key);
  if (it == tenant_it->second.objects.end()) return ObjectNotFound(key);
  // Opened under the lock, so the file is the version the index describes.
  const std::string path = ObjectPath(tenant, key);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  return ObjectReader(fd, it->second);
}

absl::Status ObjectStore::Delete(absl::string_view tenant, absl::string_view key,
                                 const DeleteOptions& options) {
  absl::Status status = ValidateTenantAndKey(tenant, key);
  if (!status.ok()) return status;
  {
    absl::MutexLock lock(&mu_);
    auto tenant_it = tenants_.find(tenant);
    if (tenant_it == tenants_.end()) return ObjectNotFound(key);
    Tenant& entry = tenant_it->second;
    auto it = entry.objects.find(key);
    if (it == entry.objects.end()) return ObjectNotFound(key);
    status = CheckIfMatch(key, &it->second, options.if_match);
    if (!status.ok()) return status;
    const std::string path = ObjectPath(tenant, key);
    if (unlink(path.c_str()) != 0) return ErrnoError("unlink", path);
    entry.bytes -= it->second.size;
    entry.objects.erase(it);
  }
  return SyncDirectory(TenantDir(tenant));
}

absl::StatusOr<ListResult> ObjectStore::List(absl::string_view tenant,
                                             const ListOptions& options) const {
  absl::Status status = ValidateTenantId(tenant);
  if (status.ok()) status = CheckListOptions(options);
  if (!status.ok()) return status;
  ListResult result;
  absl::MutexLock lock(&mu_);
  auto tenant_it = tenants_.find(tenant);
  if (tenant_it == tenants_.end()) return result;
  const auto& objects = tenant_it->second.objects;
  auto it = options.start_after < options.prefix ? objects.lower_bound(options.prefix)
                                                 : objects.upper_bound(options.start_after);
  for (; it != objects.end() && absl::StartsWith(it->first, options.prefix); ++it) {
    if (result.objects.size() == options.max_keys) {
      result.is_truncated = true;
      break;
    }
    result.objects.push_back(it->second);
  }
  return result;
}

StoreStats ObjectStore::Stats() const {
  StoreStats stats;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, tenant] : tenants_) {
    stats.objects += tenant.objects.size();
    stats.bytes += tenant.bytes;
  }
  return stats;
}

}  // namespace objgate::refstore
