#include "server/upstream/streamed_copy.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/retry/retryable.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/upstream/testing/fake_upstream.h"

namespace objgate {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Optional;
using Op = FakeUpstream::Op;

constexpr char kTenant[] = "t1";
constexpr char kData[] = "thirteen byte";  // 13 bytes: four windows of 4

class StreamedCopyTest : public ::testing::Test {
 protected:
  CallContext Context() {
    CallContext context;
    context.tenant_id = kTenant;
    return context;
  }
  std::vector<DownloadSpec> DownloadSpecs() const {
    std::vector<DownloadSpec> specs;
    for (const FakeUpstream::Call& call : upstream_.calls()) {
      if (call.op == Op::kDownload) specs.push_back(call.download);
    }
    return specs;
  }

  FakeUpstream upstream_;
};

TEST_F(StreamedCopyTest, CopiesBytesTypeMetadataAndChecksumInWindowsOfOneVersion) {
  FakeUpstream::Object source;
  source.data = kData;
  source.etag = "v1";
  source.declared_sha256 = Sha256::Hex(kData);
  source.content_type = "text/plain";
  source.metadata = {{"author", "ada"}};
  upstream_.PutObject(kTenant, "src", source);

  absl::StatusOr<StoredObject> copied =
      StreamedCopy(upstream_, Context(), {"src", "dst", ""}, /*window_bytes=*/4);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(copied->key, "dst");
  EXPECT_EQ(copied->size, 13);
  EXPECT_EQ(copied->sha256, Sha256::Hex(kData));

  std::optional<FakeUpstream::Object> destination = upstream_.Get(kTenant, "dst");
  ASSERT_TRUE(destination.has_value());
  EXPECT_EQ(destination->data, kData);
  EXPECT_EQ(destination->content_type, "text/plain");
  EXPECT_EQ(destination->metadata, source.metadata);

  // Four windows; every one after the first pinned to the first one's etag.
  std::vector<DownloadSpec> reads = DownloadSpecs();
  ASSERT_EQ(reads.size(), 4u);
  EXPECT_EQ(reads[0].if_match, "");
  EXPECT_EQ(reads[0].offset, 0);
  EXPECT_THAT(reads[0].length, Optional(4));
  EXPECT_EQ(reads[3].offset, 12);
  EXPECT_THAT(reads[3].length, Optional(1));
  EXPECT_THAT(std::vector<DownloadSpec>(reads.begin() + 1, reads.end()),
              Each(Field(&DownloadSpec::if_match, "v1")));
  // The upload declared the source's size and checksum, which the store checks again.
  std::vector<FakeUpstream::Call> calls = upstream_.calls();
  auto upload_call = std::find_if(calls.begin(), calls.end(), [](const FakeUpstream::Call& call) {
    return call.op == Op::kUpload;
  });
  ASSERT_NE(upload_call, calls.end());
  const FakeUpstream::Call& upload = *upload_call;
  EXPECT_THAT(upload.upload.size, Optional(13));
  EXPECT_EQ(upload.upload.sha256, Sha256::Hex(kData));
}

TEST_F(StreamedCopyTest, ASourceThatChangesMidCopyFailsRetryablyAndWritesNothing) {
  upstream_.Put(kTenant, "src", kData);
  int downloads = 0;
  upstream_.SetBeforeCall([&](Op op, const CallContext&) {
    if (op == Op::kDownload && ++downloads == 2) upstream_.Put(kTenant, "src", "other bytes!!");
  });
  absl::StatusOr<StoredObject> copied =
      StreamedCopy(upstream_, Context(), {"src", "dst", ""}, /*window_bytes=*/4);
  ASSERT_TRUE(absl::IsUnavailable(copied.status())) << copied.status();
  EXPECT_TRUE(IsRetryable(copied.status()));
  EXPECT_THAT(copied.status().message(), HasSubstr("changed while it was being copied"));
  EXPECT_FALSE(upstream_.Get(kTenant, "dst").has_value());
}

TEST_F(StreamedCopyTest, SourceIfMatchIsCheckedOnTheFirstRead) {
  upstream_.Put(kTenant, "src", kData);
  absl::StatusOr<StoredObject> copied =
      StreamedCopy(upstream_, Context(), {"src", "dst", "not-its-etag"}, 4);
  EXPECT_TRUE(absl::IsFailedPrecondition(copied.status())) << copied.status();
  EXPECT_FALSE(upstream_.Get(kTenant, "dst").has_value());

  const std::string etag = upstream_.Get(kTenant, "src")->etag;
  copied = StreamedCopy(upstream_, Context(), {"src", "dst", etag}, 4);
  ASSERT_TRUE(copied.ok()) << copied.status();
  std::vector<DownloadSpec> reads = DownloadSpecs();
  EXPECT_THAT(std::vector<DownloadSpec>(reads.begin() + 1, reads.end()),
              Each(Field(&DownloadSpec::if_match, etag)));
}

TEST_F(StreamedCopyTest, AMissingSourceIsNotFound) {
  absl::StatusOr<StoredObject> copied = StreamedCopy(upstream_, Context(), {"none", "dst", ""});
  EXPECT_TRUE(absl::IsNotFound(copied.status())) << copied.status();
  EXPECT_EQ(upstream_.CallCount(Op::kUpload), 0);
}

TEST_F(StreamedCopyTest, AnEmptyObjectIsCopied) {
  upstream_.Put(kTenant, "src", "");
  absl::StatusOr<StoredObject> copied = StreamedCopy(upstream_, Context(), {"src", "dst", ""});
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(copied->size, 0);
  EXPECT_THAT(upstream_.Get(kTenant, "dst"), Optional(Field(&FakeUpstream::Object::data, "")));
}

TEST_F(StreamedCopyTest, WithoutEtagOrChecksumOnlyOneWindowIsCopied) {
  upstream_.set_etags(false);
  upstream_.set_declares_sha256(false);
  upstream_.Put(kTenant, "small", "abc");
  upstream_.Put(kTenant, "large", kData);
  EXPECT_TRUE(StreamedCopy(upstream_, Context(), {"small", "dst", ""}, 4).ok());
  absl::StatusOr<StoredObject> copied =
      StreamedCopy(upstream_, Context(), {"large", "dst2", ""}, 4);
  EXPECT_TRUE(absl::IsFailedPrecondition(copied.status())) << copied.status();
  EXPECT_THAT(copied.status().message(), HasSubstr("no etag and no checksum"));
  EXPECT_FALSE(upstream_.Get(kTenant, "dst2").has_value());
}

TEST_F(StreamedCopyTest, WithoutEtagTheDeclaredChecksumGuardsTheWindows) {
  upstream_.set_etags(false);
  upstream_.Put(kTenant, "src", kData);
  absl::StatusOr<StoredObject> copied = StreamedCopy(upstream_, Context(), {"src", "dst", ""}, 4);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(upstream_.Get(kTenant, "dst")->data, kData);
}

TEST_F(StreamedCopyTest, BytesThatDoNotMatchTheStoredChecksumAreNeverWritten) {
  FakeUpstream::Object source;
  source.data = kData;
  source.etag = "v1";
  source.declared_sha256 = Sha256::Hex("something else");
  upstream_.PutObject(kTenant, "src", source);
  absl::StatusOr<StoredObject> copied = StreamedCopy(upstream_, Context(), {"src", "dst", ""}, 4);
  EXPECT_TRUE(absl::IsDataLoss(copied.status())) << copied.status();
  EXPECT_FALSE(upstream_.Get(kTenant, "dst").has_value());
}

}  // namespace
}  // namespace objgate
