#include "server/upstream/resumable_upload.h"

#include <map>
#include <string>

#include "common/retry/retryable.h"
#include "common/sha256.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/upstream/retrying_upstream.h"
#include "server/upstream/testing/fake_upstream.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;
using Op = FakeUpstream::Op;

constexpr char kTenant[] = "t1";
constexpr int64_t kPartBytes = 4;

// Gives `bytes`, then ends, or fails with `error` where it would have ended.
class ScriptedSource final : public ByteSource {
 public:
  explicit ScriptedSource(std::string bytes, absl::Status error = absl::OkStatus())
      : bytes_(std::move(bytes)), error_(std::move(error)) {}
  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    if (offset_ == bytes_.size()) {
      if (!error_.ok()) return error_;
      return 0;
    }
    const size_t n = std::min(buffer.size(), bytes_.size() - offset_);
    bytes_.copy(buffer.data(), n, offset_);
    offset_ += n;
    return n;
  }

 private:
  const std::string bytes_;
  const absl::Status error_;
  size_t offset_ = 0;
};

class ResumableUploadTest : public ::testing::Test {
 protected:
  CallContext Context(std::string tenant = kTenant) {
    CallContext context;
    context.tenant_id = std::move(tenant);
    return context;
  }
  ResumableUpload Start(UploadSpec spec = UploadSpec{"big"}) {
    absl::StatusOr<ResumableUpload> upload =
        StartResumableUpload(upstream_, Context(), spec, kPartBytes);
    EXPECT_TRUE(upload.ok()) << upload.status();
    return upload.ok() ? *upload : ResumableUpload();
  }
  absl::StatusOr<ResumableUploadStatus> Send(const ResumableUpload& upload, int64_t offset,
                                             std::string bytes, bool finish,
                                             absl::Status error = absl::OkStatus()) {
    ScriptedSource body(std::move(bytes), std::move(error));
    return ContinueResumableUpload(upstream_, Context(), upload, offset, body,
                                   [finish] { return finish; });
  }
  // How often each part number was sent.
  std::map<int, int> PartsSent() const {
    std::map<int, int> sent;
    for (const FakeUpstream::Call& call : upstream_.calls()) {
      if (call.op == Op::kUploadPart) ++sent[call.part_number];
    }
    return sent;
  }

  FakeUpstream upstream_;
};

TEST(ResumableUploadIdTest, RoundTripsAndRefusesWhatItDidNotMake) {
  ResumableUpload upload{"dir/k ey", "upload\n7", 8 << 20, 12345, Sha256::Hex("x"), "*", ""};
  const std::string id = EncodeResumableUpload(upload);
  absl::StatusOr<ResumableUpload> decoded = DecodeResumableUpload(id);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->key, "dir/k ey");
  EXPECT_EQ(decoded->store_upload_id, "upload\n7");
  EXPECT_EQ(decoded->part_bytes, 8 << 20);
  EXPECT_EQ(decoded->size, 12345);
  EXPECT_EQ(decoded->sha256, Sha256::Hex("x"));
  EXPECT_EQ(decoded->if_none_match, "*");
  upload.size.reset();
  decoded = DecodeResumableUpload(EncodeResumableUpload(upload));
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->size.has_value());

  for (const std::string& bad :
       {std::string(""), std::string("not base64!"),
        EncodeResumableUpload({"", "u", 4, {}, "", "", ""}),
        EncodeResumableUpload({"k", "", 4, {}, "", "", ""}),
        EncodeResumableUpload({"k", "u", 0, {}, "", "", ""}),
        EncodeResumableUpload({"k", "u", 4, {}, "not hex", "", ""}), id.substr(0, id.size() - 4)}) {
    absl::StatusOr<ResumableUpload> refused = DecodeResumableUpload(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << bad;
    EXPECT_THAT(refused.status().message(), HasSubstr("upload_id"));
  }
}

TEST_F(ResumableUploadTest, OneStreamThatFinishesMakesTheObject) {
  ResumableUpload upload = Start();
  absl::StatusOr<ResumableUploadStatus> status = Send(upload, 0, "0123456789", true);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->complete);
  EXPECT_EQ(status->persisted_size, 10);
  EXPECT_EQ(status->object.size, 10);
  EXPECT_EQ(upstream_.Get(kTenant, "big")->data, "0123456789");
  EXPECT_EQ(PartsSent(), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}}));
  EXPECT_EQ(upstream_.MultipartUploadCount(), 0);
}

TEST_F(ResumableUploadTest, AStreamThatEndsUnfinishedKeepsWholePartsAndTheNextContinues) {
  ResumableUpload upload = Start();
  absl::StatusOr<ResumableUploadStatus> first = Send(upload, 0, "0123456789", false);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->complete);
  EXPECT_EQ(first->persisted_size, 8);
  EXPECT_FALSE(upstream_.Get(kTenant, "big").has_value()) << "nothing visible before the end";
  absl::StatusOr<ResumableUploadStatus> queried =
      QueryResumableUpload(upstream_, Context(), upload);
  ASSERT_TRUE(queried.ok());
  EXPECT_EQ(queried->persisted_size, 8);

  absl::StatusOr<ResumableUploadStatus> second = Send(upload, 8, "89abcdef", true);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->complete);
  EXPECT_EQ(upstream_.Get(kTenant, "big")->data, "0123456789abcdef");
  // No part stored twice.
  EXPECT_EQ(PartsSent(), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}, {4, 1}}));
}

TEST_F(ResumableUploadTest, BytesBeforeThePersistedSizeAreSkippedNotStoredAgain) {
  ResumableUpload upload = Start();
  ASSERT_TRUE(Send(upload, 0, "01234567", false).ok());
  absl::StatusOr<ResumableUploadStatus> status = Send(upload, 2, "234567XY", true);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(upstream_.Get(kTenant, "big")->data, "01234567XY");
  EXPECT_EQ(PartsSent(), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}}));
}

TEST_F(ResumableUploadTest, AnOffsetPastThePersistedSizeIsOutOfRange) {
  ResumableUpload upload = Start();
  ASSERT_TRUE(Send(upload, 0, "0123", false).ok());
  absl::StatusOr<ResumableUploadStatus> status = Send(upload, 5, "56789", true);
  EXPECT_TRUE(absl::IsOutOfRange(status.status())) << status.status();
  EXPECT_THAT(status.status().message(), HasSubstr("persisted_size"));
}

TEST_F(ResumableUploadTest, ABrokenStreamKeepsItsWholePartsAndReturnsItsError) {
  ResumableUpload upload = Start();
  absl::StatusOr<ResumableUploadStatus> status =
      Send(upload, 0, "0123456", false, absl::CancelledError("caller went away"));
  EXPECT_TRUE(absl::IsCancelled(status.status())) << status.status();
  absl::StatusOr<ResumableUploadStatus> queried =
      QueryResumableUpload(upstream_, Context(), upload);
  ASSERT_TRUE(queried.ok());
  EXPECT_EQ(queried->persisted_size, 4);
}

TEST_F(ResumableUploadTest, TheDeclaredSizeIsCheckedAtCompletion) {
  UploadSpec spec{"big"};
  spec.size = 9;
  ResumableUpload upload = Start(spec);
  absl::StatusOr<ResumableUploadStatus> status = Send(upload, 0, "0123456789", true);
  EXPECT_TRUE(absl::IsInvalidArgument(status.status())) << status.status();
  EXPECT_FALSE(upstream_.Get(kTenant, "big").has_value());
}

TEST_F(ResumableUploadTest, ConditionsGoWithTheCompletion) {
  upstream_.Put(kTenant, "big", "already here");
  UploadSpec spec{"big"};
  spec.if_none_match = "*";
  ResumableUpload upload = Start(spec);
  absl::StatusOr<ResumableUploadStatus> status = Send(upload, 0, "0123456789", true);
  EXPECT_TRUE(absl::IsFailedPrecondition(status.status())) << status.status();
  EXPECT_EQ(upstream_.Get(kTenant, "big")->data, "already here");
}

TEST_F(ResumableUploadTest, ContinuingACompletedUploadAnswersItsObject) {
  ResumableUpload upload = Start();
  ASSERT_TRUE(Send(upload, 0, "01234", true).ok());
  const int parts_sent = static_cast<int>(PartsSent().size());
  absl::StatusOr<ResumableUploadStatus> again = Send(upload, 0, "01234", true);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->complete);
  EXPECT_EQ(again->persisted_size, 5);
  EXPECT_EQ(static_cast<int>(PartsSent().size()), parts_sent);
}

TEST_F(ResumableUploadTest, AnEmptyObjectIsOneEmptyPart) {
  ResumableUpload upload = Start();
  absl::StatusOr<ResumableUploadStatus> status = Send(upload, 0, "", true);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(upstream_.Get(kTenant, "big")->data, "");
}

TEST_F(ResumableUploadTest, AnotherTenantFindsNoSuchUpload) {
  ResumableUpload upload = Start();
  EXPECT_TRUE(absl::IsNotFound(QueryResumableUpload(upstream_, Context("t2"), upload).status()));
  ScriptedSource body("0123");
  EXPECT_TRUE(
      absl::IsNotFound(ContinueResumableUpload(upstream_, Context("t2"), upload, 0, body, [] {
                         return true;
                       }).status()));
  EXPECT_TRUE(absl::IsNotFound(
      upstream_.AbortMultipartUpload(Context("t2"), upload.key, upload.store_upload_id)));
  EXPECT_FALSE(upstream_.Get("t2", "big").has_value());
}

TEST_F(ResumableUploadTest, APartThatFailsIsRetriedFromMemoryThroughTheRetryingLayer) {
  FakeClock clock;
  RetryingUpstream retrying(upstream_, *BackoffPolicy::Create(RetryOptions{}), clock, 0);
  absl::StatusOr<ResumableUpload> upload =
      StartResumableUpload(retrying, Context(), UploadSpec{"big"}, kPartBytes);
  ASSERT_TRUE(upload.ok());
  upstream_.FailNext(Op::kUploadPart, {MarkRetryable(absl::UnavailableError("reset"))});
  upstream_.FailNext(Op::kCompleteMultipartUpload,
                     {MarkRetryable(absl::UnavailableError("answer lost")), 0, true});
  ScriptedSource body("0123456789");
  absl::StatusOr<ResumableUploadStatus> status =
      ContinueResumableUpload(retrying, Context(), *upload, 0, body, [] { return true; });
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(upstream_.Get(kTenant, "big")->data, "0123456789");
  EXPECT_EQ(PartsSent(), (std::map<int, int>{{1, 2}, {2, 1}, {3, 1}}));
}

}  // namespace
}  // namespace objgate
