#include "server/upstream/retrying_upstream.h"

#include <string>
#include <vector>

#include "common/retry/retryable.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/upstream/testing/fake_upstream.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using Op = FakeUpstream::Op;

constexpr char kTenant[] = "t1";

absl::Status Retryable503() { return MarkRetryable(absl::UnavailableError("upstream said 503")); }

class RetryingUpstreamTest : public ::testing::Test {
 protected:
  RetryingUpstream MakeUpstream(size_t replay_buffer_bytes = 1024) {
    return RetryingUpstream(inner_, *BackoffPolicy::Create(RetryOptions{}), clock_,
                            replay_buffer_bytes);
  }
  CallContext Context() {
    CallContext context;
    context.tenant_id = kTenant;
    context.stats = &stats_;
    return context;
  }
  std::vector<DownloadSpec> DownloadSpecs() const {
    std::vector<DownloadSpec> specs;
    for (const FakeUpstream::Call& call : inner_.calls()) {
      if (call.op == Op::kDownload) specs.push_back(call.download);
    }
    return specs;
  }

  FakeUpstream inner_;
  FakeClock clock_;
  CallStats stats_;
};

TEST_F(RetryingUpstreamTest, ListRetriesUnavailableThenSucceeds) {
  inner_.Put(kTenant, "k", "v");
  inner_.FailNext(Op::kList, {Retryable503()});
  inner_.FailNext(Op::kList, {Retryable503()});
  RetryingUpstream upstream = MakeUpstream();
  absl::StatusOr<ListPage> page = upstream.List(Context(), ListQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->entries, SizeIs(1));
  EXPECT_EQ(inner_.CallCount(Op::kList), 3);
  EXPECT_EQ(stats_.retries, 2);
  EXPECT_THAT(clock_.sleeps(), SizeIs(2));
}

TEST_F(RetryingUpstreamTest, NonRetryableErrorReturnsAtOnce) {
  inner_.FailNext(Op::kList, {absl::PermissionDeniedError("tenant refused")});
  RetryingUpstream upstream = MakeUpstream();
  EXPECT_EQ(upstream.List(Context(), ListQuery{}).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(inner_.CallCount(Op::kList), 1);
  EXPECT_THAT(clock_.sleeps(), SizeIs(0));
}

TEST_F(RetryingUpstreamTest, GetServerInfoIsRetried) {
  inner_.FailNext(Op::kGetServerInfo, {Retryable503()});
  RetryingUpstream upstream = MakeUpstream();
  absl::StatusOr<UpstreamServerInfo> info = upstream.GetServerInfo(Context());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->status, "ok");
  EXPECT_EQ(inner_.CallCount(Op::kGetServerInfo), 2);
}

TEST_F(RetryingUpstreamTest, HealthProbesAreNotRetried) {
  inner_.FailNext(Op::kCheckReady, {Retryable503()});
  RetryingUpstream upstream = MakeUpstream();
  EXPECT_TRUE(absl::IsUnavailable(upstream.CheckReady(Context())));
  EXPECT_EQ(inner_.CallCount(Op::kCheckReady), 1);
}

TEST_F(RetryingUpstreamTest, UploadReplaysBufferedBytesAfterFailure) {
  inner_.FailNext(Op::kUpload, {Retryable503(), /*after_bytes=*/6});
  StringByteSource source("hello replay world");
  RetryingUpstream upstream = MakeUpstream(/*replay_buffer_bytes=*/64);
  absl::StatusOr<StoredObject> stored = upstream.Upload(Context(), UploadSpec{"k"}, source);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->size, 18);
  EXPECT_EQ(inner_.Get(kTenant, "k")->data, "hello replay world");
  EXPECT_EQ(inner_.CallCount(Op::kUpload), 2);
  EXPECT_EQ(stats_.retries, 1);
}

TEST_F(RetryingUpstreamTest, UploadLargerThanReplayBufferFailsUnavailableWithoutRetry) {
  inner_.FailNext(Op::kUpload, {Retryable503(), /*after_bytes=*/20});
  const std::string data(100, 'x');
  StringByteSource source(data);
  RetryingUpstream upstream = MakeUpstream(/*replay_buffer_bytes=*/10);
  absl::StatusOr<StoredObject> stored = upstream.Upload(Context(), UploadSpec{"k"}, source);
  EXPECT_EQ(stored.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(stored.status().message(), HasSubstr("retry it from the source"));
  EXPECT_FALSE(IsRetryable(stored.status()));
  EXPECT_EQ(inner_.CallCount(Op::kUpload), 1);
  EXPECT_EQ(inner_.Get(kTenant, "k"), std::nullopt);
}

TEST_F(RetryingUpstreamTest, DownloadResumesFromNextByteOfTheSameVersion) {
  inner_.Put(kTenant, "k", "0123456789");
  inner_.FailNext(Op::kDownload,
                  {MarkRetryable(absl::UnavailableError("connection reset mid-body")), 4});
  RecordingDownloadSink sink;
  RetryingUpstream upstream = MakeUpstream();
  ASSERT_TRUE(upstream.Download(Context(), DownloadSpec{"k"}, sink).ok());
  EXPECT_EQ(sink.data, "0123456789");
  EXPECT_THAT(sink.heads, SizeIs(1));
  const std::vector<DownloadSpec> specs = DownloadSpecs();
  ASSERT_THAT(specs, SizeIs(2));
  EXPECT_EQ(specs[1].offset, 4);
  EXPECT_EQ(specs[1].length, 6);
  EXPECT_EQ(specs[1].if_match, inner_.Get(kTenant, "k")->etag);
  EXPECT_EQ(stats_.resumes, 1);
}

TEST_F(RetryingUpstreamTest, DownloadWithoutEtagOrChecksumFailsRatherThanResume) {
  inner_.Put(kTenant, "k", "0123456789");
  inner_.set_etags(false);
  inner_.set_declares_sha256(false);
  inner_.FailNext(Op::kDownload,
                  {MarkRetryable(absl::UnavailableError("connection reset mid-body")), 4});
  RecordingDownloadSink sink;
  RetryingUpstream upstream = MakeUpstream();
  absl::Status status = upstream.Download(Context(), DownloadSpec{"k"}, sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("cannot be resumed safely"));
  EXPECT_EQ(inner_.CallCount(Op::kDownload), 1);
}

TEST_F(RetryingUpstreamTest, WholeObjectWithDeclaredChecksumResumesWithoutEtag) {
  inner_.Put(kTenant, "k", "0123456789");
  inner_.set_etags(false);
  inner_.FailNext(Op::kDownload,
                  {MarkRetryable(absl::UnavailableError("connection reset mid-body")), 4});
  RecordingDownloadSink sink;
  RetryingUpstream upstream = MakeUpstream();
  ASSERT_TRUE(upstream.Download(Context(), DownloadSpec{"k"}, sink).ok());
  EXPECT_EQ(sink.data, "0123456789");
  EXPECT_EQ(DownloadSpecs()[1].if_match, "");
}

TEST_F(RetryingUpstreamTest, RangeWithoutEtagIsNotResumedEvenWithDeclaredChecksum) {
  inner_.Put(kTenant, "k", "0123456789");
  inner_.set_etags(false);
  inner_.FailNext(Op::kDownload,
                  {MarkRetryable(absl::UnavailableError("connection reset mid-body")), 2});
  RecordingDownloadSink sink;
  RetryingUpstream upstream = MakeUpstream();
  DownloadSpec range{"k", /*offset=*/2, /*length=*/5};
  EXPECT_TRUE(absl::IsUnavailable(upstream.Download(Context(), range, sink)));
  EXPECT_EQ(inner_.CallCount(Op::kDownload), 1);
}

TEST_F(RetryingUpstreamTest, ResumedAnswerOfAnotherVersionIsRefused) {
  inner_.Put(kTenant, "k", "0123456789");
  inner_.FailNext(Op::kDownload,
                  {MarkRetryable(absl::UnavailableError("connection reset mid-body")), 4});
  // Between the two attempts, another writer replaces the object.
  inner_.SetBeforeCall([this](Op op, const CallContext&) {
    if (op == Op::kDownload && inner_.CallCount(Op::kDownload) == 2) {
      inner_.Put(kTenant, "k", "abcdefghij");
    }
  });
  RecordingDownloadSink sink;
  RetryingUpstream upstream = MakeUpstream();
  absl::Status status = upstream.Download(Context(), DownloadSpec{"k"}, sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("object changed"));
  EXPECT_EQ(sink.data, "0123");
}

TEST_F(RetryingUpstreamTest, DeleteWhoseRetryFindsNothingCountsAsDone) {
  inner_.Put(kTenant, "k", "v");
  // The first delete deletes, but its answer is lost.
  inner_.FailNext(Op::kDelete, {Retryable503(), 0, /*after_success=*/true});
  RetryingUpstream upstream = MakeUpstream();
  EXPECT_TRUE(upstream.Delete(Context(), {"k"}).ok());
  EXPECT_EQ(inner_.CallCount(Op::kDelete), 2);
  EXPECT_THAT(inner_.outcomes(),
              ElementsAre(Retryable503(), absl::NotFoundError("object \"k\" not found")));
}

TEST_F(RetryingUpstreamTest, DeleteOfMissingObjectOnFirstAttemptIsNotFound) {
  RetryingUpstream upstream = MakeUpstream();
  EXPECT_EQ(upstream.Delete(Context(), {"k"}).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace objgate

namespace objgate {
namespace {

TEST_F(RetryingUpstreamTest, ConditionalUploadRefusedOnARepeatSucceedsWhenItsBytesAreStored) {
  // The first attempt stores the object and loses its answer; the repeat is refused.
  inner_.FailNext(Op::kUpload, {Retryable503(), 0, /*after_success=*/true});
  RetryingUpstream upstream = MakeUpstream();
  UploadSpec spec{"k"};
  spec.if_none_match = "*";
  StringByteSource body("hello");
  absl::StatusOr<StoredObject> stored = upstream.Upload(Context(), spec, body);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->size, 5);
  EXPECT_EQ(stored->etag, inner_.Get(kTenant, "k")->etag);
  EXPECT_EQ(inner_.CallCount(Op::kUpload), 2);
}

TEST_F(RetryingUpstreamTest, ConditionalUploadRefusedOnARepeatStaysRefusedForOtherBytes) {
  inner_.FailNext(Op::kUpload, {Retryable503()});
  // Another writer creates the key between the two attempts.
  inner_.SetBeforeCall([&](Op op, const CallContext&) {
    if (op == Op::kUpload && inner_.CallCount(Op::kUpload) == 2) inner_.Put(kTenant, "k", "theirs");
  });
  RetryingUpstream upstream = MakeUpstream();
  UploadSpec spec{"k"};
  spec.if_none_match = "*";
  StringByteSource body("hello");
  absl::StatusOr<StoredObject> stored = upstream.Upload(Context(), spec, body);
  EXPECT_TRUE(absl::IsFailedPrecondition(stored.status())) << stored.status();
  EXPECT_EQ(inner_.Get(kTenant, "k")->data, "theirs");
}

TEST_F(RetryingUpstreamTest, CopyIsRetried) {
  inner_.Put(kTenant, "src", "abc");
  inner_.FailNext(Op::kCopy, {Retryable503()});
  RetryingUpstream upstream = MakeUpstream();
  absl::StatusOr<StoredObject> copied = upstream.Copy(Context(), {"src", "dst", ""});
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(inner_.CallCount(Op::kCopy), 2);
  EXPECT_EQ(inner_.Get(kTenant, "dst")->data, "abc");
}

}  // namespace
}  // namespace objgate
