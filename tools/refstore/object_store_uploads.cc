// ObjectStore's multipart uploads (object_store.h). An upload is the directory
// uploads/<tenant>/<id>/ holding its manifest and its parts, part-00001 to part-10000,
// each an object file (object_file.h) whose trailer gives its size and SHA-256. Every
// change to that directory is one rename (a part, the manifest, or the whole directory,
// into place or out to tmp/), so a crash leaves each upload as it was before or after a
// call, and whatever was half written in tmp/, which Open removes.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/sha256.h"
#include "common/validation.h"
#include "tools/refstore/object_store.h"
#include "tools/refstore/store_internal.h"

namespace objgate::refstore {
namespace {

constexpr char kManifestName[] = "manifest";
constexpr absl::string_view kPartPrefix = "part-";
constexpr size_t kUploadIdBytes = 16;
// Manifests hold a key, a content type and an If-Match value, each bounded by the server.
constexpr size_t kMaxManifestBytes = 256 * 1024;

absl::Status NoSuchUpload(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("no such upload ", id));
}

bool IsUploadId(absl::string_view id) {
  return id.size() == 2 * kUploadIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

// From getrandom(2), not a seeded PRNG: an upload id is all it takes to add to an upload.
absl::StatusOr<std::string> NewUploadId() {
  char bytes[kUploadIdBytes];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    const ssize_t got = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoError("getrandom", "for an upload id");
    filled += got;
  }
  return absl::BytesToHexString(absl::string_view(bytes, sizeof(bytes)));
}

std::string PartName(int part_number) { return absl::StrFormat("part-%05d", part_number); }

bool ParsePartName(absl::string_view name, int& part_number) {
  return absl::ConsumePrefix(&name, kPartPrefix) && name.size() == 5 &&
         std::all_of(name.begin(), name.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(name, &part_number) && part_number >= 1 && part_number <= kMaxPartNumber;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || text.size() + got > kMaxManifestBytes) {
      const bool failed = got < 0;
      close(fd);
      if (failed) return ErrnoError("read", path);
      if (got > 0) return absl::DataLossError(absl::StrCat(path, " is too large"));
      return text;
    }
    text.append(buffer, got);
  }
}

absl::Status CheckChecksumOption(const std::optional<std::string>& sha256) {
  if (sha256.has_value() && !IsSha256Hex(*sha256)) {
    return absl::InvalidArgumentError("the expected SHA-256 must be 64 hex digits");
  }
  return absl::OkStatus();
}

// The parts of an upload, in order, as one stream: what CompleteUpload hands to Put.
class PartsSource : public ByteSource {
 public:
  // Each part's file path and the size of its bytes (which its trailer follows).
  explicit PartsSource(std::vector<std::pair<std::string, uint64_t>> parts)
      : parts_(std::move(parts)) {}
  PartsSource(const PartsSource&) = delete;
  PartsSource& operator=(const PartsSource&) = delete;
  ~PartsSource() override {
    if (fd_ >= 0) close(fd_);
  }

  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    while (index_ < parts_.size()) {
      const auto& [path, size] = parts_[index_];
      if (offset_ == size) {
        if (fd_ >= 0) close(std::exchange(fd_, -1));
        ++index_;
        offset_ = 0;
        continue;
      }
      if (fd_ < 0) {
        fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) return ErrnoError("open", path);
      }
      const size_t wanted = std::min<uint64_t>(buffer.size(), size - offset_);
      const ssize_t got = pread(fd_, buffer.data(), wanted, offset_);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return ErrnoError("pread", path);
      if (got == 0) return absl::DataLossError(absl::StrCat(path, " ends early"));
      offset_ += got;
      return static_cast<size_t>(got);
    }
    return 0;
  }

 private:
  const std::vector<std::pair<std::string, uint64_t>> parts_;
  size_t index_ = 0;
  uint64_t offset_ = 0;
  int fd_ = -1;
};

}  // namespace

std::string ObjectStore::UploadDir(absl::string_view tenant, absl::string_view id) const {
  return absl::StrCat(options_.data_dir, "/uploads/", tenant, "/", id);
}

std::string ObjectStore::PartPath(absl::string_view tenant, absl::string_view id,
                                  int part_number) const {
  return absl::StrCat(UploadDir(tenant, id), "/", PartName(part_number));
}

absl::Status ObjectStore::LoadUploads() {
  const std::string uploads_dir = options_.data_dir + "/uploads";
  std::vector<std::pair<std::string, std::string>> found;
  std::error_code error;
  for (auto tenant_it = std::filesystem::directory_iterator(uploads_dir, error);
       !error && tenant_it != std::filesystem::directory_iterator(); tenant_it.increment(error)) {
    const std::string tenant = tenant_it->path().filename().string();
    if (!ValidateTenantId(tenant).ok() || !tenant_it->is_directory()) {
      return absl::DataLossError(
          absl::StrCat("unexpected entry ", tenant_it->path().string(), " in ", uploads_dir));
    }
    for (auto upload_it = std::filesystem::directory_iterator(tenant_it->path(), error);
         !error && upload_it != std::filesystem::directory_iterator(); upload_it.increment(error)) {
      std::string id = upload_it->path().filename().string();
      if (!IsUploadId(id) || !upload_it->is_directory()) {
        return absl::DataLossError(
            absl::StrCat("unexpected entry ", upload_it->path().string(), " in ", uploads_dir));
      }
      found.emplace_back(tenant, std::move(id));
    }
  }
  if (error) {
    return absl::InternalError(absl::StrCat("reading ", uploads_dir, ": ", error.message()));
  }
  for (const auto& [tenant, id] : found) {
    absl::Status loaded = LoadUpload(tenant, id);
    if (!loaded.ok()) return loaded;
  }
  return absl::OkStatus();
}

absl::Status ObjectStore::LoadUpload(const std::string& tenant, const std::string& id) {
  const std::string dir = UploadDir(tenant, id);
  const std::string manifest_path = absl::StrCat(dir, "/", kManifestName);
  absl::StatusOr<std::string> text = ReadSmallFile(manifest_path);
  absl::StatusOr<UploadManifest> manifest = text.ok() ? DecodeUploadManifest(*text) : text.status();
  if (!manifest.ok()) {
    return absl::DataLossError(absl::StrCat(manifest_path, ": ", manifest.status().message(),
                                            "; move the upload out of the data directory"));
  }
  auto upload = std::make_shared<Upload>(tenant, id, manifest->key);
  absl::MutexLock upload_lock(&upload->mu);
  upload->last_activity = manifest->last_activity;
  std::vector<std::string> leftovers;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator(dir, error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    const std::string path = it->path().string();
    if (name == kManifestName) continue;
    int part_number = 0;
    if (!ParsePartName(name, part_number)) {
      return absl::DataLossError(absl::StrCat("unexpected entry ", path, " in ", dir));
    }
    // Completion records itself before it removes the parts, so a crash can leave some.
    if (manifest->complete) {
      leftovers.push_back(path);
      continue;
    }
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open", path);
    absl::StatusOr<ObjectInfo> info = ReadObjectTrailer(fd);
    close(fd);
    if (info.ok() && info->key != manifest->key) {
      info = absl::DataLossError("the part is of another key than its upload");
    }
    if (!info.ok()) {
      return absl::DataLossError(absl::StrCat(path, ": ", info.status().message(),
                                              "; move the upload out of the data directory"));
    }
    upload->parts[part_number] = PartInfo{part_number, info->size, info->sha256};
    upload->last_activity = std::max(upload->last_activity, info->last_modified);
  }
  if (error) return absl::InternalError(absl::StrCat("reading ", dir, ": ", error.message()));
  for (const std::string& path : leftovers) {
    if (unlink(path.c_str()) != 0) return ErrnoError("unlink", path);
  }
  if (!leftovers.empty()) {
    absl::Status synced = SyncDirectory(dir);
    if (!synced.ok()) return synced;
  }
  upload->manifest = *std::move(manifest);
  absl::MutexLock lock(&mu_);
  uploads_[tenant][id] = std::move(upload);
  return absl::OkStatus();
}

absl::Status ObjectStore::SweepExpiredUploads() {
  std::vector<std::shared_ptr<Upload>> uploads;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [tenant, by_id] : uploads_) {
      for (const auto& [id, upload] : by_id) uploads.push_back(upload);
    }
  }
  for (const std::shared_ptr<Upload>& upload : uploads) {
    // A busy upload (a completion streaming) is in use, and waiting for it would hold up
    // the start of an unrelated one.
    if (!upload->mu.TryLock()) continue;
    absl::Status removed = absl::OkStatus();
    // CheckUploadLive refuses an expired upload; this also reclaims its disk.
    if (!upload->removed && !CheckUploadLive(*upload).ok()) removed = RemoveUpload(*upload);
    upload->mu.Unlock();
    if (!removed.ok()) return removed;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ObjectStore::Upload>> ObjectStore::FindUpload(
    absl::string_view tenant, absl::string_view key, absl::string_view id) const {
  absl::Status status = ValidateTenantAndKey(tenant, key);
  if (!status.ok()) return status;
  // Not echoed: it may be anything, of any length.
  if (!IsUploadId(id)) {
    return absl::NotFoundError("no such upload: an upload id is 32 lowercase hex digits");
  }
  absl::MutexLock lock(&mu_);
  auto tenant_it = uploads_.find(tenant);
  if (tenant_it == uploads_.end()) return NoSuchUpload(id);
  auto it = tenant_it->second.find(id);
  // Another key's upload answers as one that does not exist, so ids cannot be probed.
  if (it == tenant_it->second.end() || it->second->key != key) return NoSuchUpload(id);
  return it->second;
}

absl::Status ObjectStore::CheckUploadLive(const Upload& upload) const {
  if (upload.removed || options_.clock() - upload.last_activity > options_.upload_expiry) {
    return NoSuchUpload(upload.id);
  }
  return absl::OkStatus();
}

absl::Status ObjectStore::RemoveUpload(Upload& upload) {
  // One rename takes the whole directory out of uploads/, so a crash while its files are
  // deleted leaves them in tmp/, which Open empties, not half an upload.
  std::string grave = options_.data_dir + "/tmp/removed-XXXXXX";
  if (mkdtemp(grave.data()) == nullptr) return ErrnoError("mkdtemp", grave);
  const std::string dir = UploadDir(upload.tenant, upload.id);
  std::error_code error;
  if (rename(dir.c_str(), absl::StrCat(grave, "/", upload.id).c_str()) != 0) {
    absl::Status status = ErrnoError("rename", dir);
    std::filesystem::remove(grave, error);
    return status;
  }
  upload.removed = true;
  {
    absl::MutexLock lock(&mu_);
    auto tenant_it = uploads_.find(upload.tenant);
    tenant_it->second.erase(upload.id);
    if (tenant_it->second.empty()) uploads_.erase(tenant_it);
  }
  absl::Status status = SyncDirectory(absl::StrCat(options_.data_dir, "/uploads/", upload.tenant));
  // What this leaves behind, Open removes.
  std::filesystem::remove_all(grave, error);
  return status;
}

absl::StatusOr<std::string> ObjectStore::StartUpload(absl::string_view tenant,
                                                     absl::string_view key,
                                                     const StartUploadOptions& options) {
  PutOptions as_put;
  as_put.content_type = options.content_type;
  as_put.expected_sha256 = options.expected_sha256;
  absl::Status status = ValidateTenantAndKey(tenant, key);
  if (status.ok()) status = CheckPutOptions(as_put);
  if (status.ok()) status = SweepExpiredUploads();
  if (!status.ok()) return status;
  absl::StatusOr<std::string> id = NewUploadId();
  if (!id.ok()) return id.status();

  UploadManifest manifest;
  manifest.key = std::string(key);
  manifest.content_type = options.content_type;
  manifest.expected_sha256 = options.expected_sha256;
  manifest.expected_crc32c = options.expected_crc32c;
  manifest.if_none_match_any = options.if_none_match_any;
  manifest.if_match = options.if_match;
  manifest.created = manifest.last_activity = options_.clock();

  const std::string tmp_dir = options_.data_dir + "/tmp";
  const std::string tenant_dir = absl::StrCat(options_.data_dir, "/uploads/", tenant);
  status = MakeDirectory(tenant_dir);
  if (status.ok()) status = SyncDirectory(options_.data_dir + "/uploads");
  if (!status.ok()) return status;
  // Made in tmp/ and renamed into place whole, so an upload in uploads/ has a manifest.
  std::string staging = tmp_dir + "/new-upload-XXXXXX";
  if (mkdtemp(staging.data()) == nullptr) return ErrnoError("mkdtemp", staging);
  status = WriteFileAtomically(tmp_dir, absl::StrCat(staging, "/", kManifestName),
                               EncodeUploadManifest(manifest));
  const std::string dir = UploadDir(tenant, *id);
  if (status.ok() && rename(staging.c_str(), dir.c_str()) != 0) {
    status = ErrnoError("rename", staging);
  }
  if (!status.ok()) {
    std::error_code error;
    std::filesystem::remove_all(staging, error);
    return status;
  }
  status = SyncDirectory(tenant_dir);
  if (!status.ok()) return status;

  auto upload = std::make_shared<Upload>(std::string(tenant), *id, std::string(key));
  {
    absl::MutexLock upload_lock(&upload->mu);
    upload->last_activity = manifest.last_activity;
    upload->manifest = std::move(manifest);
  }
  absl::MutexLock lock(&mu_);
  uploads_[tenant][*id] = std::move(upload);
  return id;
}

absl::StatusOr<PartInfo> ObjectStore::PutPart(absl::string_view tenant, absl::string_view key,
                                              absl::string_view upload_id, int part_number,
                                              ByteSource& body, const PartOptions& options) {
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return absl::InvalidArgumentError(
        absl::StrCat("part_number must be from 1 to ", kMaxPartNumber));
  }
  absl::Status status = CheckChecksumOption(options.expected_sha256);
  if (!status.ok()) return status;
  absl::StatusOr<std::shared_ptr<Upload>> found = FindUpload(tenant, key, upload_id);
  if (!found.ok()) return found.status();
  Upload& upload = **found;
  // Checked before the body streams, to spare the bytes, and again when the part commits.
  const auto check_writable = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(upload.mu) {
    absl::Status live = CheckUploadLive(upload);
    if (live.ok() && upload.manifest.complete) {
      return absl::AbortedError(absl::StrCat("upload ", upload.id, " is complete"));
    }
    return live;
  };
  {
    absl::MutexLock lock(&upload.mu);
    status = check_writable();
  }
  // No object can hold a larger part; the quota counts only at completion.
  const auto check_size = [&](uint64_t size) {
    if (options_.max_object_bytes == 0 || size <= options_.max_object_bytes) {
      return absl::OkStatus();
    }
    return absl::OutOfRangeError(absl::StrCat("part is larger than the object size limit of ",
                                              options_.max_object_bytes, " bytes"));
  };
  if (status.ok() && options.declared_size.has_value()) {
    status = check_size(*options.declared_size);
  }
  if (!status.ok()) return status;

  absl::StatusOr<TempFile> temp = TempFile::Create(options_.data_dir + "/tmp");
  if (!temp.ok()) return temp.status();
  absl::StatusOr<WrittenBody> written = WriteBody(body, *temp, check_size);
  if (!written.ok()) return written.status();
  const uint64_t size = written->size;
  ObjectInfo trailer;
  trailer.key = upload.key;
  trailer.size = size;
  trailer.sha256 = written->sha256;
  trailer.crc32c = written->crc32c;
  trailer.last_modified = options_.clock();
  status = CheckExpectedSha256(options.expected_sha256, trailer.sha256, "the part's bytes");
  if (status.ok()) {
    status = CheckExpectedCrc32c(options.expected_crc32c, written->crc32c, "the part's bytes");
  }
  if (!status.ok()) return status;
  status = temp->Write(EncodeObjectTrailer(trailer));
  if (status.ok()) status = temp->SyncAndClose();
  if (!status.ok()) return status;

  absl::MutexLock lock(&upload.mu);
  status = check_writable();
  if (status.ok()) status = temp->Commit(PartPath(upload.tenant, upload.id, part_number));
  if (status.ok()) status = SyncDirectory(UploadDir(upload.tenant, upload.id));
  if (!status.ok()) return status;
  PartInfo part{part_number, size, trailer.sha256};
  upload.parts[part_number] = part;
  upload.last_activity = std::max(upload.last_activity, trailer.last_modified);
  return part;
}

absl::StatusOr<UploadListing> ObjectStore::ListParts(absl::string_view tenant,
                                                     absl::string_view key,
                                                     absl::string_view upload_id) const {
  absl::StatusOr<std::shared_ptr<Upload>> found = FindUpload(tenant, key, upload_id);
  if (!found.ok()) return found.status();
  Upload& upload = **found;
  absl::MutexLock lock(&upload.mu);
  absl::Status status = CheckUploadLive(upload);
  if (!status.ok()) return status;
  UploadListing listing;
  listing.key = upload.key;
  listing.upload_id = upload.id;
  for (const auto& [number, part] : upload.parts) listing.parts.push_back(part);
  listing.complete = upload.manifest.complete;
  listing.size = upload.manifest.size;
  listing.sha256 = upload.manifest.sha256;
  return listing;
}

absl::StatusOr<ObjectInfo> ObjectStore::CompleteUpload(absl::string_view tenant,
                                                       absl::string_view key,
                                                       absl::string_view upload_id) {
  absl::StatusOr<std::shared_ptr<Upload>> found = FindUpload(tenant, key, upload_id);
  if (!found.ok()) return found.status();
  Upload& upload = **found;
  // Held throughout, so that no part changes, and no other completion runs, meanwhile.
  absl::MutexLock lock(&upload.mu);
  absl::Status status = CheckUploadLive(upload);
  if (!status.ok()) return status;
  UploadManifest& manifest = upload.manifest;
  if (manifest.complete) {
    // A caller whose answer was lost asks again: the same answer, and nothing written.
    ObjectInfo info;
    info.key = upload.key;
    info.size = manifest.size;
    info.sha256 = manifest.sha256;
    info.crc32c = manifest.crc32c;
    info.content_type = manifest.content_type;
    info.last_modified = manifest.last_activity;
    return info;
  }
  std::vector<std::pair<std::string, uint64_t>> files;
  uint64_t total = 0;
  for (const auto& [number, part] : upload.parts) {
    const int expected = static_cast<int>(files.size()) + 1;
    if (number != expected) {
      return absl::InvalidArgumentError(
          absl::StrCat("upload ", upload.id, " has no part ", expected, ", but has part ", number));
    }
    files.emplace_back(PartPath(upload.tenant, upload.id, number), part.size);
    total += part.size;
  }
  PutOptions options;
  options.content_type = manifest.content_type;
  options.expected_sha256 = manifest.expected_sha256;
  options.expected_crc32c = manifest.expected_crc32c;
  options.if_none_match_any = manifest.if_none_match_any;
  options.if_match = manifest.if_match;
  options.declared_size = total;
  // Put hashes the parts as they stream through, so the object's SHA-256 and CRC32C are
  // of the bytes as reassembled, not derived from what the parts' trailers claim.
  PartsSource source(std::move(files));
  absl::StatusOr<ObjectInfo> info = Put(upload.tenant, upload.key, source, options);
  if (!info.ok()) return info.status();

  // The object is committed, so the upload is complete even if recording that fails. The
  // record goes first: a crash before the parts are gone leaves a completed upload whose
  // parts Open removes. (A crash before the record leaves the upload unfinished, with its
  // parts, and completing it again stores the same bytes again.)
  manifest.complete = true;
  manifest.size = info->size;
  manifest.sha256 = info->sha256;
  manifest.crc32c = info->crc32c;
  manifest.last_activity = info->last_modified;
  upload.last_activity = std::max(upload.last_activity, info->last_modified);
  const std::string dir = UploadDir(upload.tenant, upload.id);
  status = WriteFileAtomically(options_.data_dir + "/tmp", absl::StrCat(dir, "/", kManifestName),
                               EncodeUploadManifest(manifest));
  // Without the record on disk, the parts stay there: a restart finds the upload unfinished.
  for (const auto& [number, part] : upload.parts) {
    const std::string path = PartPath(upload.tenant, upload.id, number);
    if (status.ok() && unlink(path.c_str()) != 0) status = ErrnoError("unlink", path);
  }
  upload.parts.clear();
  if (status.ok()) status = SyncDirectory(dir);
  if (!status.ok()) return status;
  return info;
}

absl::Status ObjectStore::AbortUpload(absl::string_view tenant, absl::string_view key,
                                      absl::string_view upload_id) {
  absl::StatusOr<std::shared_ptr<Upload>> found = FindUpload(tenant, key, upload_id);
  if (!found.ok()) return found.status();
  Upload& upload = **found;
  absl::MutexLock lock(&upload.mu);
  absl::Status status = CheckUploadLive(upload);
  if (!status.ok()) return status;
  if (upload.manifest.complete) {
    return absl::AbortedError(absl::StrCat("upload ", upload.id, " is complete"));
  }
  return RemoveUpload(upload);
}

}  // namespace objgate::refstore
