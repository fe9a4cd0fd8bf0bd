#include "server/upstream/retrying_upstream.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/retry/fake_clock.h"
#include "server/retry/retryable.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// An Upstream whose every method runs the function a test gives it.
class ScriptedUpstream : public Upstream {
 public:
  std::function<absl::StatusOr<ListPage>()> list;
  std::function<absl::StatusOr<UploadResult>(BodySource&)> upload;
  std::function<absl::Status(const DownloadSpec&, DownloadSink&)> download;
  std::function<absl::Status()> remove;

  absl::StatusOr<UpstreamServerInfo> GetServerInfo(const CallContext&) override {
    return absl::UnimplementedError("not scripted");
  }
  absl::StatusOr<UploadResult> Upload(const CallContext&, const UploadSpec&,
                                      BodySource& body) override {
    return upload(body);
  }
  absl::Status Download(const CallContext&, const DownloadSpec& spec,
                        DownloadSink& sink) override {
    return download(spec, sink);
  }
  absl::StatusOr<ListPage> List(const CallContext&, const ListQuery&) override { return list(); }
  absl::Status Delete(const CallContext&, absl::string_view) override { return remove(); }
  absl::Status CheckLive(const CallContext&) override { return absl::OkStatus(); }
  absl::Status CheckReady(const CallContext&) override { return absl::OkStatus(); }
};

class StringSource : public BodySource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    const size_t n = std::min(buffer.size(), data_.size() - offset_);
    data_.copy(buffer.data(), n, offset_);
    offset_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t offset_ = 0;
};

// Reads a body to its end, at most `limit` bytes per Read, stopping early after `stop_after`.
absl::StatusOr<std::string> Drain(BodySource& body, size_t limit, size_t stop_after = SIZE_MAX) {
  std::string out;
  char buffer[64];
  while (out.size() < stop_after) {
    absl::StatusOr<size_t> n = body.Read(absl::Span<char>(buffer, std::min(limit, sizeof buffer)));
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    out.append(buffer, *n);
  }
  return out;
}

class CollectingSink : public DownloadSink {
 public:
  absl::Status OnHead(const DownloadHead& head) override {
    heads.push_back(head);
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view bytes) override {
    data.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  std::vector<DownloadHead> heads;
  std::string data;
};

absl::Status Retryable503() { return MarkRetryable(absl::UnavailableError("upstream said 503")); }

class RetryingUpstreamTest : public ::testing::Test {
 protected:
  RetryingUpstream MakeUpstream(size_t replay_buffer_bytes = 1024) {
    return RetryingUpstream(inner_, *BackoffPolicy::Create(RetryOptions{}), clock_,
                            replay_buffer_bytes);
  }
  CallContext Context() {
    CallContext context;
    context.stats = &stats_;
    return context;
  }

  ScriptedUpstream inner_;
  FakeClock clock_;
  CallStats stats_;
};

TEST_F(RetryingUpstreamTest, ListRetriesUnavailableThenSucceeds) {
  int calls = 0;
  inner_.list = [&]() -> absl::StatusOr<ListPage> {
    if (++calls <= 2) return Retryable503();
    return ListPage{{ObjectEntry{"k"}}, false, ""};
  };
  RetryingUpstream upstream = MakeUpstream();
  absl::StatusOr<ListPage> page = upstream.List(Context(), ListQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->entries, SizeIs(1));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(stats_.retries, 2);
  EXPECT_THAT(clock_.sleeps(), SizeIs(2));
}

TEST_F(RetryingUpstreamTest, NonRetryableErrorReturnsAtOnce) {
  int calls = 0;
  inner_.list = [&]() -> absl::StatusOr<ListPage> {
    ++calls;
    return absl::PermissionDeniedError("tenant refused");
  };
  RetryingUpstream upstream = MakeUpstream();
  EXPECT_EQ(upstream.List(Context(), ListQuery{}).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(clock_.sleeps(), SizeIs(0));
}

TEST_F(RetryingUpstreamTest, UploadReplaysBufferedBytesAfterFailure) {
  std::vector<std::string> bodies_seen;
  inner_.upload = [&](BodySource& body) -> absl::StatusOr<UploadResult> {
    const bool first = bodies_seen.empty();
    absl::StatusOr<std::string> bytes = Drain(body, 3, first ? 6 : SIZE_MAX);
    if (!bytes.ok()) return bytes.status();
    bodies_seen.push_back(*bytes);
    if (first) return Retryable503();
    return UploadResult{"k", static_cast<int64_t>(bytes->size()), "etag"};
  };
  StringSource source("hello replay world");
  RetryingUpstream upstream = MakeUpstream(/*replay_buffer_bytes=*/64);
  absl::StatusOr<UploadResult> result = upstream.Upload(Context(), UploadSpec{"k"}, source);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(bodies_seen, ElementsAre("hello ", "hello replay world"));
  EXPECT_EQ(stats_.retries, 1);
}

TEST_F(RetryingUpstreamTest, UploadLargerThanReplayBufferFailsUnavailableWithoutRetry) {
  int calls = 0;
  inner_.upload = [&](BodySource& body) -> absl::StatusOr<UploadResult> {
    ++calls;
    absl::StatusOr<std::string> bytes = Drain(body, 8, 20);
    if (!bytes.ok()) return bytes.status();
    return Retryable503();
  };
  StringSource source(std::string(100, 'x'));
  RetryingUpstream upstream = MakeUpstream(/*replay_buffer_bytes=*/10);
  absl::StatusOr<UploadResult> result = upstream.Upload(Context(), UploadSpec{"k"}, source);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("retry it from the source"));
  EXPECT_FALSE(IsRetryable(result.status()));
  EXPECT_EQ(calls, 1);
}

TEST_F(RetryingUpstreamTest, DownloadResumesFromNextByteOfTheSameVersion) {
  const std::string object = "0123456789";
  std::vector<DownloadSpec> specs;
  inner_.download = [&](const DownloadSpec& spec, DownloadSink& sink) -> absl::Status {
    specs.push_back(spec);
    DownloadHead head{10, spec.offset, spec.length.value_or(10 - spec.offset), "v1", "", ""};
    if (absl::Status s = sink.OnHead(head); !s.ok()) return s;
    if (specs.size() == 1) {
      if (absl::Status s = sink.OnData(object.substr(0, 4)); !s.ok()) return s;
      return MarkRetryable(absl::UnavailableError("connection reset mid-body"));
    }
    return sink.OnData(object.substr(spec.offset));
  };
  CollectingSink sink;
  RetryingUpstream upstream = MakeUpstream();
  ASSERT_TRUE(upstream.Download(Context(), DownloadSpec{"k"}, sink).ok());
  EXPECT_EQ(sink.data, object);
  EXPECT_THAT(sink.heads, SizeIs(1));
  ASSERT_THAT(specs, SizeIs(2));
  EXPECT_EQ(specs[1].offset, 4);
  EXPECT_EQ(specs[1].length, 6);
  EXPECT_EQ(specs[1].if_match, "v1");
  EXPECT_EQ(stats_.resumes, 1);
}

TEST_F(RetryingUpstreamTest, DownloadWithoutEtagOrChecksumFailsRatherThanResume) {
  int calls = 0;
  inner_.download = [&](const DownloadSpec&, DownloadSink& sink) -> absl::Status {
    ++calls;
    if (absl::Status s = sink.OnHead(DownloadHead{10, 0, 10, "", "", ""}); !s.ok()) return s;
    if (absl::Status s = sink.OnData("0123"); !s.ok()) return s;
    return MarkRetryable(absl::UnavailableError("connection reset mid-body"));
  };
  CollectingSink sink;
  RetryingUpstream upstream = MakeUpstream();
  absl::Status status = upstream.Download(Context(), DownloadSpec{"k"}, sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("cannot be resumed safely"));
  EXPECT_EQ(calls, 1);
}

TEST_F(RetryingUpstreamTest, ResumedAnswerOfAnotherVersionIsRefused) {
  int calls = 0;
  inner_.download = [&](const DownloadSpec& spec, DownloadSink& sink) -> absl::Status {
    const std::string etag = ++calls == 1 ? "v1" : "v2";
    DownloadHead head{10, spec.offset, 10 - spec.offset, etag, "", ""};
    if (absl::Status s = sink.OnHead(head); !s.ok()) return s;
    if (absl::Status s = sink.OnData("0123"); !s.ok()) return s;
    return MarkRetryable(absl::UnavailableError("connection reset mid-body"));
  };
  CollectingSink sink;
  RetryingUpstream upstream = MakeUpstream();
  absl::Status status = upstream.Download(Context(), DownloadSpec{"k"}, sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("object changed"));
  EXPECT_EQ(sink.data, "0123");
}

TEST_F(RetryingUpstreamTest, DeleteWhoseRetryFindsNothingCountsAsDone) {
  int calls = 0;
  inner_.remove = [&]() -> absl::Status {
    if (++calls == 1) return Retryable503();
    return absl::NotFoundError("no such object");
  };
  RetryingUpstream upstream = MakeUpstream();
  EXPECT_TRUE(upstream.Delete(Context(), "k").ok());
  EXPECT_EQ(calls, 2);
}

TEST_F(RetryingUpstreamTest, DeleteOfMissingObjectOnFirstAttemptIsNotFound) {
  inner_.remove = [] { return absl::NotFoundError("no such object"); };
  RetryingUpstream upstream = MakeUpstream();
  EXPECT_EQ(upstream.Delete(Context(), "k").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace objgate
