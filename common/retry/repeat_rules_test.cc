#include "common/retry/repeat_rules.h"

#include "gtest/gtest.h"

namespace objgate {
namespace {

TEST(OutcomeOfDeleteTest, RepeatedDeleteThatFindsNothingSucceeded) {
  EXPECT_TRUE(OutcomeOfDelete(absl::NotFoundError("gone"), /*repeated=*/true).ok());
}

TEST(OutcomeOfDeleteTest, FirstDeleteThatFindsNothingIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(OutcomeOfDelete(absl::NotFoundError("gone"), false)));
}

TEST(OutcomeOfDeleteTest, OtherOutcomesPassThrough) {
  EXPECT_TRUE(OutcomeOfDelete(absl::OkStatus(), true).ok());
  EXPECT_TRUE(absl::IsUnavailable(OutcomeOfDelete(absl::UnavailableError("503"), true)));
  EXPECT_TRUE(absl::IsPermissionDenied(OutcomeOfDelete(absl::PermissionDeniedError("no"), true)));
}

TEST(CanResumeDownloadTest, AnEtagMakesAnyDownloadResumable) {
  EXPECT_TRUE(CanResumeDownload({"etag", "", /*whole_object=*/false}));
  EXPECT_TRUE(CanResumeDownload({"etag", "", /*whole_object=*/true}));
}

TEST(CanResumeDownloadTest, WithoutEtagOnlyAWholeObjectWithDeclaredChecksum) {
  EXPECT_TRUE(CanResumeDownload({"", "abc", /*whole_object=*/true}));
  EXPECT_FALSE(CanResumeDownload({"", "abc", /*whole_object=*/false}));
  EXPECT_FALSE(CanResumeDownload({"", "", /*whole_object=*/true}));
  EXPECT_FALSE(CanResumeDownload({"", "", /*whole_object=*/false}));
}

}  // namespace
}  // namespace objgate
