#include "tools/refstore/object_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "common/sha256.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace objgate::refstore {
namespace {

using ::objgate::test_support::TempDir;

std::string LittleEndian(uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
  return out;
}

// An object file as the store wrote it before it kept CRC32Cs, assembled by hand rather
// than with EncodeObjectTrailer, so that it pins the layout that is on disks already.
std::string PreviousFormatFile(const std::string& bytes, const std::string& key,
                               const std::string& content_type, int64_t unix_micros) {
  const std::string metadata = absl::StrCat(
      LittleEndian(bytes.size(), 8), LittleEndian(unix_micros, 8), Sha256::Hex(bytes),
      LittleEndian(content_type.size(), 4), content_type, LittleEndian(key.size(), 4), key);
  return absl::StrCat(bytes, metadata, LittleEndian(metadata.size(), 4), "RSOBJ01\n");
}

class ObjectFileTest : public ::testing::Test {
 protected:
  absl::StatusOr<ObjectInfo> ReadTrailerOf(const std::string& contents) {
    const std::string path = dir_.Sub("object");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", path));
    absl::StatusOr<ObjectInfo> info = ReadObjectTrailer(fd);
    close(fd);
    return info;
  }

  TempDir dir_;
};

ObjectInfo InfoOf(const std::string& bytes) {
  ObjectInfo info;
  info.key = "dir/key";
  info.size = bytes.size();
  info.sha256 = Sha256::Hex(bytes);
  info.content_type = "text/plain";
  info.last_modified = absl::FromUnixMicros(1700000000123456);
  return info;
}

TEST_F(ObjectFileTest, TrailerWithCrc32cSurvivesARoundTrip) {
  const std::string bytes = "123456789";
  ObjectInfo info = InfoOf(bytes);
  info.crc32c = Crc32c(bytes);
  const std::string trailer = EncodeObjectTrailer(info);
  EXPECT_TRUE(absl::EndsWith(trailer, "RSOBJ02\n"));

  absl::StatusOr<ObjectInfo> read = ReadTrailerOf(bytes + trailer);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->key, info.key);
  EXPECT_EQ(read->size, info.size);
  EXPECT_EQ(read->sha256, info.sha256);
  EXPECT_EQ(read->crc32c, 0xe3069283u);
  EXPECT_EQ(read->content_type, info.content_type);
  EXPECT_EQ(read->last_modified, info.last_modified);
}

TEST_F(ObjectFileTest, PreviousFormatReadsWithoutACrc32c) {
  const std::string bytes = "written before CRC32Cs";
  absl::StatusOr<ObjectInfo> read =
      ReadTrailerOf(PreviousFormatFile(bytes, "old/key", "application/json", 1600000000000001));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->key, "old/key");
  EXPECT_EQ(read->size, bytes.size());
  EXPECT_EQ(read->sha256, Sha256::Hex(bytes));
  EXPECT_FALSE(read->crc32c.has_value());
  EXPECT_EQ(read->content_type, "application/json");
  EXPECT_EQ(read->last_modified, absl::FromUnixMicros(1600000000000001));
}

TEST_F(ObjectFileTest, ObjectWithoutACrc32cIsWrittenInThePreviousFormat) {
  const std::string bytes = "no CRC32C known";
  const ObjectInfo info = InfoOf(bytes);
  EXPECT_EQ(bytes + EncodeObjectTrailer(info),
            PreviousFormatFile(bytes, info.key, info.content_type,
                               absl::ToUnixMicros(info.last_modified)));
}

TEST_F(ObjectFileTest, MetadataThatDoesNotFitItsMagicIsDataLoss) {
  const std::string bytes = "some bytes";
  ObjectInfo info = InfoOf(bytes);
  const std::string without_crc = bytes + EncodeObjectTrailer(info);
  info.crc32c = Crc32c(bytes);
  const std::string with_crc = bytes + EncodeObjectTrailer(info);
  const auto with_magic = [](std::string file, const std::string& magic) {
    return file.replace(file.size() - magic.size(), magic.size(), magic);
  };
  for (const std::string& file :
       {with_magic(without_crc, "RSOBJ02\n"), with_magic(with_crc, "RSOBJ01\n"),
        with_magic(with_crc, "RSOBJ03\n"), with_crc.substr(0, with_crc.size() - 1)}) {
    EXPECT_EQ(ReadTrailerOf(file).status().code(), absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace objgate::refstore
