#include "server/service/download_stream.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/sha256.h"
#include "server/service/testing/fake_message_streams.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace v1 = ::storage::v1;

class RecordingWriter : public FakeServerWriter<v1::DownloadResponse> {
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
    ASSERT_TRUE(
        stream.OnHead(DownloadHead{10, 2, 4, "etag", "", Sha256::Hex("0123456789")}).ok());
    ASSERT_TRUE(stream.OnData("2345").ok());
    ASSERT_TRUE(stream.Finish().ok());
    EXPECT_EQ(writer.messages.back().trailer().sha256(), Sha256::Hex("2345"));
  }
}

}  // namespace
}  // namespace objgate
