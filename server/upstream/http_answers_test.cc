#include "server/upstream/http_answers.h"

#include <optional>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

TEST(ParseContentRangeTest, AcceptsOnlyWellFormedRanges) {
  std::optional<ContentRange> range = ParseContentRange("bytes 10-19/100");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->first, 10);
  EXPECT_EQ(range->last, 19);
  EXPECT_EQ(range->total, 100);
  for (absl::string_view bad : {"", "bytes */100", "bytes 5-4/100", "bytes 0-100/100",
                                "items 0-1/2", "bytes -1-2/3", "bytes 0-1/", "bytes 0-1",
                                "bytes 99999999999999999999-1/2"}) {
    EXPECT_FALSE(ParseContentRange(bad).has_value()) << bad;
  }
}

TEST(BareEtagTest, DropsQuotesAndTheWeakMarker) {
  EXPECT_EQ(BareEtag("\"abc\""), "abc");
  EXPECT_EQ(BareEtag(" W/\"abc\" "), "abc");
  EXPECT_EQ(BareEtag("abc-3"), "abc-3");
  EXPECT_EQ(BareEtag("\""), "\"");
}

// Keeps what a download delivered.
class HeadKeeper : public DownloadSink {
 public:
  absl::Status OnHead(const DownloadHead& head) override {
    head_ = head;
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view) override { return absl::OkStatus(); }
  const DownloadHead& head() const { return head_; }

 private:
  DownloadHead head_;
};

std::string DeclaredSha256(absl::string_view value) {
  DownloadSpec spec;
  HeadKeeper kept;
  DownloadAnswerSink answer(spec, kept, {"x-amz-meta-objgate-sha256", "x-amz-meta-"},
                            [](int, const HttpHeaders&, absl::string_view, absl::string_view) {
                              return absl::InternalError("not an error answer");
                            });
  HttpResponseHead head;
  head.status = 200;
  head.headers.Add("Content-Length", "0");
  head.headers.Add("X-Amz-Meta-Objgate-Sha256", std::string(value));
  EXPECT_TRUE(answer.OnHead(head).ok());
  return kept.head().object_sha256;
}

TEST(DownloadAnswerSinkTest, TakesOnlyASha256ForTheDeclaredChecksum) {
  const std::string sha(64, 'a');
  EXPECT_EQ(DeclaredSha256(sha), sha);
  EXPECT_EQ(DeclaredSha256(" " + std::string(64, 'A') + " "), sha);
  // Written by another client under the same name: not a declaration.
  EXPECT_EQ(DeclaredSha256("zz"), "");
  EXPECT_EQ(DeclaredSha256(std::string(63, 'a')), "");
  EXPECT_EQ(DeclaredSha256(std::string(64, 'g')), "");
}

}  // namespace
}  // namespace objgate
