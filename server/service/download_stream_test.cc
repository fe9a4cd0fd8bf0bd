#include "server/service/download_stream.h"

#include <string>
#include <vector>

#include "common/crc32c.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/service/testing/fake_message_streams.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace v1 = ::storage::v1;

class RecordingWriter : public FakeSerializedWriter<v1::DownloadResponse> {
 public:
  std::vector<size_t> DataSizes() const {
    std::vector<size_t> sizes;
    for (const auto& m : messages) {
      if (m.has_data()) sizes.push_back(m.data().size());
    }
    return sizes;
  }
};

DownloadHead WholeObject(int64_t size, std::string sha256 = "") {
  return DownloadHead{size, 0, size, "etag", "text/plain", std::move(sha256)};
}

TEST(DownloadStreamTest, SendsMetadataChunksAndTrailer) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", /*chunk_bytes=*/4);
  const std::string object = "0123456789";
  ASSERT_TRUE(stream.OnHead(WholeObject(10, Sha256::Hex(object))).ok());
  ASSERT_TRUE(stream.OnData("012").ok());
  ASSERT_TRUE(stream.OnData("3456789").ok());
  ASSERT_TRUE(stream.Finish().ok());

  ASSERT_GE(writer.messages.size(), 3u);
  EXPECT_EQ(writer.messages.front().metadata().size(), 10);
  EXPECT_EQ(writer.messages.front().metadata().etag(), "etag");
  EXPECT_THAT(writer.DataSizes(), ElementsAre(4, 4, 2));
  EXPECT_EQ(writer.messages.back().trailer().sha256(), Sha256::Hex(object));
  EXPECT_EQ(writer.messages.back().trailer().size(), 10);
}

TEST(DownloadStreamTest, EveryDataMessageCarriesItsCrc32cAndTheTrailerTheStreams) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", /*chunk_bytes=*/300);
  std::string object(1000, '\0');
  for (size_t i = 0; i < object.size(); ++i) object[i] = static_cast<char>(i * 31 + 7);
  ASSERT_TRUE(stream.OnHead(WholeObject(1000, Sha256::Hex(object))).ok());
  // Pieces that straddle chunks, as the upstream's buffer hands them over.
  for (size_t at = 0; at < object.size(); at += 170) {
    ASSERT_TRUE(stream.OnData(absl::string_view(object).substr(at, 170)).ok());
  }
  ASSERT_TRUE(stream.Finish().ok());

  EXPECT_EQ(writer.malformed, 0);
  EXPECT_THAT(writer.DataSizes(), ElementsAre(300, 300, 300, 100));
  std::string received;
  for (const v1::DownloadResponse& message : writer.messages) {
    if (!message.has_data()) {
      EXPECT_FALSE(message.has_crc32c());
      continue;
    }
    ASSERT_TRUE(message.has_crc32c());
    EXPECT_EQ(message.crc32c(), Crc32c(message.data()));
    received += message.data();
  }
  EXPECT_EQ(received, object);
  ASSERT_TRUE(writer.messages.back().trailer().has_crc32c());
  EXPECT_EQ(writer.messages.back().trailer().crc32c(), Crc32c(object));
  EXPECT_TRUE(writer.last_marked);
}

TEST(DownloadStreamTest, LargeChunksEncodeTheirLengthInSeveralVarintBytes) {
  RecordingWriter writer;
  const size_t chunk = 3 << 20;  // a length of 22 bits: a 4-byte varint
  DownloadStream stream(writer, "k", chunk);
  const std::string object(chunk + 5, 'z');
  ASSERT_TRUE(stream.OnHead(WholeObject(static_cast<int64_t>(object.size()))).ok());
  ASSERT_TRUE(stream.OnData(object).ok());
  ASSERT_TRUE(stream.Finish().ok());
  EXPECT_EQ(writer.malformed, 0);
  EXPECT_THAT(writer.DataSizes(), ElementsAre(chunk, 5));
  EXPECT_EQ(writer.messages.back().trailer().crc32c(), Crc32c(object));
}

TEST(DownloadStreamTest, EmptyObjectHasNoDataMessageAndTheEmptyCrc32c) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", 4);
  ASSERT_TRUE(stream.OnHead(WholeObject(0, Sha256::Hex(""))).ok());
  ASSERT_TRUE(stream.Finish().ok());
  ASSERT_EQ(writer.messages.size(), 2u);
  EXPECT_TRUE(writer.messages.back().trailer().has_crc32c());
  EXPECT_EQ(writer.messages.back().trailer().crc32c(), 0u);
}

DownloadHead WithCrc32c(DownloadHead head, uint32_t crc32c) {
  head.object_crc32c = crc32c;
  return head;
}

TEST(DownloadStreamTest, DeclaredCrc32cChecksTheBytesInsteadOfHashingThem) {
  const std::string object = "0123456789";
  const std::string declared_sha256 = Sha256::Hex(object);
  for (DownloadChecksums mode :
       {DownloadChecksums::kVerify, DownloadChecksums::kPassThroughDeclared}) {
    RecordingWriter writer;
    DownloadStream stream(writer, "k", 4, mode);
    ASSERT_TRUE(stream.OnHead(WithCrc32c(WholeObject(10, declared_sha256), Crc32c(object))).ok());
    ASSERT_TRUE(stream.OnData(object).ok());
    ASSERT_TRUE(stream.Finish().ok());
    EXPECT_EQ(writer.messages.back().trailer().sha256(), declared_sha256);
    EXPECT_EQ(writer.messages.back().trailer().crc32c(), Crc32c(object));
  }
}

TEST(DownloadStreamTest, BytesThatFailTheDeclaredCrc32cAreDataLossWithoutTrailer) {
  const std::string object = "0123456789";
  for (DownloadChecksums mode :
       {DownloadChecksums::kVerify, DownloadChecksums::kPassThroughDeclared}) {
    RecordingWriter writer;
    DownloadStream stream(writer, "k", 4, mode);
    ASSERT_TRUE(
        stream.OnHead(WithCrc32c(WholeObject(10, Sha256::Hex(object)), Crc32c(object))).ok());
    ASSERT_TRUE(stream.OnData("01234567X9").ok());
    absl::Status status = stream.Finish();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(status.message()), HasSubstr("CRC32C"));
    EXPECT_FALSE(writer.messages.back().has_trailer());
  }
}

TEST(DownloadStreamTest, DeclaredCrc32cOfTheWholeObjectDoesNotApplyToARange) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", 4);
  const std::string object = "0123456789";
  ASSERT_TRUE(
      stream
          .OnHead(WithCrc32c(DownloadHead{10, 2, 3, "e", "", Sha256::Hex(object)}, Crc32c(object)))
          .ok());
  ASSERT_TRUE(stream.OnData("234").ok());
  ASSERT_TRUE(stream.Finish().ok());
  EXPECT_EQ(writer.messages.back().trailer().sha256(), Sha256::Hex("234"));
  EXPECT_EQ(writer.messages.back().trailer().crc32c(), Crc32c("234"));
}

TEST(DownloadStreamTest, BytesPastTheAnnouncedLengthAreDataLoss) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", 4);
  ASSERT_TRUE(stream.OnHead(WholeObject(6)).ok());
  ASSERT_TRUE(stream.OnData("0123").ok());
  absl::Status status = stream.OnData("456");
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("more than the 6 bytes"));
}

TEST(DownloadStreamTest, ShortBodyIsDataLossWithoutTrailer) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", 4);
  ASSERT_TRUE(stream.OnHead(WholeObject(10)).ok());
  ASSERT_TRUE(stream.OnData("0123").ok());
  absl::Status status = stream.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(writer.messages.back().has_trailer());
}

TEST(DownloadStreamTest, ChecksumMismatchIsDataLoss) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", 4);
  ASSERT_TRUE(stream.OnHead(WholeObject(3, Sha256::Hex("abc"))).ok());
  ASSERT_TRUE(stream.OnData("abd").ok());
  absl::Status status = stream.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("declared"));
}

TEST(DownloadStreamTest, RangeIsNotCheckedAgainstTheWholeObjectsChecksum) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", 4);
  ASSERT_TRUE(stream.OnHead(DownloadHead{10, 2, 3, "e", "", Sha256::Hex("0123456789")}).ok());
  ASSERT_TRUE(stream.OnData("234").ok());
  ASSERT_TRUE(stream.Finish().ok());
  EXPECT_EQ(writer.messages.back().trailer().sha256(), Sha256::Hex("234"));
}

TEST(DownloadStreamTest, CallerGoneIsCancelled) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", 4);
  ASSERT_TRUE(stream.OnHead(WholeObject(8)).ok());
  writer.fail_writes = true;
  EXPECT_EQ(stream.OnData("01234567").code(), absl::StatusCode::kCancelled);
}

TEST(DownloadStreamTest, PassThroughSendsTheDeclaredChecksumOfAWholeObjectUnhashed) {
  RecordingWriter writer;
  DownloadStream stream(writer, "k", 4, DownloadChecksums::kPassThroughDeclared);
  const std::string declared = Sha256::Hex("0123456789");
  ASSERT_TRUE(stream.OnHead(WholeObject(10, declared)).ok());
  // Bytes that do not match: the gateway does not look, the caller's check will.
  ASSERT_TRUE(stream.OnData("01234567X9").ok());
  ASSERT_TRUE(stream.Finish().ok());
  EXPECT_EQ(writer.messages.back().trailer().sha256(), declared);
  EXPECT_EQ(writer.messages.back().trailer().size(), 10);
}

TEST(DownloadStreamTest, PassThroughStillHashesRangesAndUndeclaredObjects) {
  {
    RecordingWriter writer;
    DownloadStream stream(writer, "k", 4, DownloadChecksums::kPassThroughDeclared);
    ASSERT_TRUE(stream.OnHead(WholeObject(10)).ok());  // no declaration
    ASSERT_TRUE(stream.OnData("0123456789").ok());
    ASSERT_TRUE(stream.Finish().ok());
    EXPECT_EQ(writer.messages.back().trailer().sha256(), Sha256::Hex("0123456789"));
  }
  {
    RecordingWriter writer;
    DownloadStream stream(writer, "k", 4, DownloadChecksums::kPassThroughDeclared);
    // Bytes 2 to 5 of a declared object: the declaration is of the whole.
    ASSERT_TRUE(stream.OnHead(DownloadHead{10, 2, 4, "etag", "", Sha256::Hex("0123456789")}).ok());
    ASSERT_TRUE(stream.OnData("2345").ok());
    ASSERT_TRUE(stream.Finish().ok());
    EXPECT_EQ(writer.messages.back().trailer().sha256(), Sha256::Hex("2345"));
  }
}

}  // namespace
}  // namespace objgate
