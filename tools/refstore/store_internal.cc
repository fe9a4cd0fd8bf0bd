#include "tools/refstore/store_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "common/sha256.h"
#include "common/validation.h"

namespace objgate::refstore {
namespace {

constexpr size_t kMaxContentTypeBytes = 256;

}  // namespace

absl::Status ValidateTenantAndKey(absl::string_view tenant, absl::string_view key) {
  absl::Status status = ValidateTenantId(tenant);
  if (status.ok()) status = ValidateObjectKey(key);
  return status;
}

absl::Status CheckPutOptions(const PutOptions& options) {
  if (options.content_type.size() > kMaxContentTypeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("content type is longer than ", kMaxContentTypeBytes, " bytes"));
  }
  if (options.expected_sha256.has_value() && !IsSha256Hex(*options.expected_sha256)) {
    return absl::InvalidArgumentError("the expected SHA-256 must be 64 hex digits");
  }
  return absl::OkStatus();
}

absl::Status ErrnoError(absl::string_view what, absl::string_view path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, absl::string_view bytes, absl::string_view path) {
  while (!bytes.empty()) {
    const ssize_t written = write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return ErrnoError("write", path);
    bytes.remove_prefix(written);
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", dir);
  const int synced = fsync(fd);
  close(fd);
  if (synced != 0) return ErrnoError("fsync", dir);
  return absl::OkStatus();
}

absl::Status MakeDirectory(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoError("mkdir", dir);
  return absl::OkStatus();
}

absl::StatusOr<TempFile> TempFile::Create(const std::string& dir) {
  std::string path = dir + "/upload-XXXXXX";
  const int fd = mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError("mkostemp", path);
  return TempFile(fd, std::move(path));
}

TempFile::~TempFile() {
  if (fd_ >= 0) close(fd_);
  if (!path_.empty()) unlink(path_.c_str());
}

absl::Status TempFile::SyncAndClose() {
  const int synced = fsync(fd_);
  const int closed = close(std::exchange(fd_, -1));
  if (synced != 0 || closed != 0) return ErrnoError("fsync", path_);
  return absl::OkStatus();
}

absl::Status TempFile::Commit(const std::string& final_path) {
  if (rename(path_.c_str(), final_path.c_str()) != 0) return ErrnoError("rename", path_);
  path_.clear();
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& tmp_dir, const std::string& final_path,
                                 absl::string_view contents) {
  absl::StatusOr<TempFile> temp = TempFile::Create(tmp_dir);
  if (!temp.ok()) return temp.status();
  absl::Status status = temp->Write(contents);
  if (status.ok()) status = temp->SyncAndClose();
  if (status.ok()) status = temp->Commit(final_path);
  if (status.ok()) status = SyncDirectory(final_path.substr(0, final_path.rfind('/')));
  return status;
}

absl::StatusOr<WrittenBody> WriteBody(ByteSource& body, TempFile& temp,
                                      const std::function<absl::Status(uint64_t)>& check_size) {
  Sha256 hash;
  WrittenBody written;
  std::vector<char> buffer(kCopyBufferBytes);
  while (true) {
    absl::StatusOr<size_t> got = body.Read(absl::MakeSpan(buffer));
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    written.size += *got;
    const absl::string_view chunk(buffer.data(), *got);
    absl::Status status = check_size(written.size);
    if (status.ok()) status = temp.Write(chunk);
    if (!status.ok()) return status;
    hash.Update(chunk);
    written.crc32c = Crc32cExtend(written.crc32c, chunk);
  }
  written.sha256 = hash.HexDigest();
  return written;
}

absl::Status CheckExpectedSha256(const std::optional<std::string>& expected,
                                 const std::string& actual, absl::string_view what) {
  if (!expected.has_value() || absl::AsciiStrToLower(*expected) == actual) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("SHA-256 mismatch: expected ", *expected, ", ", what, " hash to ", actual));
}

absl::Status CheckExpectedCrc32c(const std::optional<uint32_t>& expected, uint32_t actual,
                                 absl::string_view what) {
  if (!expected.has_value() || *expected == actual) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("CRC32C mismatch: expected ", Crc32cHex(*expected),
                                                 ", ", what, " have ", Crc32cHex(actual)));
}

}  // namespace objgate::refstore
