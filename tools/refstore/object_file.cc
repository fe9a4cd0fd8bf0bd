#include "tools/refstore/object_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/sha256.h"

namespace objgate::refstore {
namespace {

// Both magics have one length, so the footer can be read before knowing which it is.
constexpr absl::string_view kMagicWithoutCrc32c = "RSOBJ01\n";
constexpr absl::string_view kMagic = "RSOBJ02\n";
static_assert(kMagic.size() == kMagicWithoutCrc32c.size());
constexpr size_t kFooterBytes = 4 + kMagic.size();
constexpr size_t kSha256HexBytes = 64;
// Key and content type are bounded by the store, so a larger claim means corruption.
constexpr uint32_t kMaxMetadataBytes = 64 * 1024;

void AppendLittleEndian(uint64_t value, int bytes, std::string& out) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
}

void AppendLengthPrefixed(absl::string_view text, std::string& out) {
  AppendLittleEndian(text.size(), 4, out);
  out.append(text.data(), text.size());
}

// Reads fields front to back; any read past the end marks the whole parse as failed.
class FieldReader {
 public:
  explicit FieldReader(absl::string_view data) : data_(data) {}

  uint64_t Integer(int bytes) {
    absl::string_view raw = Take(bytes);
    uint64_t value = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
      value |= uint64_t{static_cast<unsigned char>(raw[i])} << (8 * i);
    }
    return value;
  }
  std::string Text(size_t bytes) { return std::string(Take(bytes)); }
  std::string LengthPrefixedText() { return Text(Integer(4)); }
  bool ok() const { return ok_ && data_.empty(); }

 private:
  absl::string_view Take(size_t bytes) {
    if (bytes > data_.size()) {
      ok_ = false;
      data_ = {};
      return {};
    }
    absl::string_view taken = data_.substr(0, bytes);
    data_.remove_prefix(bytes);
    return taken;
  }

  absl::string_view data_;
  bool ok_ = true;
};

absl::Status ReadExactly(int fd, uint64_t offset, size_t size, std::string& out) {
  out.resize(size);
  size_t done = 0;
  while (done < size) {
    const ssize_t got = pread(fd, out.data() + done, size - done, offset + done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return absl::InternalError(absl::StrCat("pread: ", std::strerror(errno)));
    if (got == 0) return absl::DataLossError("object file ends early");
    done += got;
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeObjectTrailer(const ObjectInfo& info) {
  std::string metadata;
  AppendLittleEndian(info.size, 8, metadata);
  AppendLittleEndian(static_cast<uint64_t>(absl::ToUnixMicros(info.last_modified)), 8,
                     metadata);
  metadata.append(info.sha256);
  if (info.crc32c.has_value()) AppendLittleEndian(*info.crc32c, 4, metadata);
  AppendLengthPrefixed(info.content_type, metadata);
  AppendLengthPrefixed(info.key, metadata);
  std::string trailer = metadata;
  AppendLittleEndian(metadata.size(), 4, trailer);
  const absl::string_view magic = info.crc32c.has_value() ? kMagic : kMagicWithoutCrc32c;
  trailer.append(magic.data(), magic.size());
  return trailer;
}

absl::StatusOr<ObjectInfo> ReadObjectTrailer(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::InternalError(absl::StrCat("fstat: ", std::strerror(errno)));
  }
  const uint64_t file_size = st.st_size;
  if (file_size < kFooterBytes) return absl::DataLossError("object file too short");
  std::string footer;
  absl::Status status = ReadExactly(fd, file_size - kFooterBytes, kFooterBytes, footer);
  if (!status.ok()) return status;
  FieldReader footer_reader(footer);
  const uint64_t metadata_size = footer_reader.Integer(4);
  const std::string magic = footer_reader.Text(kMagic.size());
  if (magic != kMagic && magic != kMagicWithoutCrc32c) {
    return absl::DataLossError("object file has no trailer magic");
  }
  if (metadata_size > kMaxMetadataBytes || metadata_size > file_size - kFooterBytes) {
    return absl::DataLossError("object file metadata length is out of range");
  }
  std::string metadata;
  status = ReadExactly(fd, file_size - kFooterBytes - metadata_size, metadata_size, metadata);
  if (!status.ok()) return status;
  FieldReader reader(metadata);
  ObjectInfo info;
  info.size = reader.Integer(8);
  info.last_modified = absl::FromUnixMicros(static_cast<int64_t>(reader.Integer(8)));
  info.sha256 = reader.Text(kSha256HexBytes);
  if (magic == kMagic) info.crc32c = static_cast<uint32_t>(reader.Integer(4));
  info.content_type = reader.LengthPrefixedText();
  info.key = reader.LengthPrefixedText();
  if (!reader.ok() || !IsSha256Hex(info.sha256) ||
      info.size != file_size - kFooterBytes - metadata_size) {
    return absl::DataLossError("object file metadata is inconsistent");
  }
  return info;
}

}  // namespace objgate::refstore
