#include "server/upstream/rest_answers.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;

TEST(ParseServerInfoTest, ReadsTheDocumentedShape) {
  absl::StatusOr<UpstreamServerInfo> info =
      ParseServerInfo(R"({"status":"ok","version":"3.0.0-extreme","performance":"100x"})");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->status, "ok");
  EXPECT_EQ(info->version, "3.0.0-extreme");
  EXPECT_EQ(info->performance, "100x");
}

TEST(ParseServerInfoTest, RejectsGarbageAndWrongTypes) {
  for (absl::string_view body : {"", "not json", "[]", R"({"status": 7})", R"({"version":"1"})",
                                 "{\"status\":\"ok\"", "\xff\xfe"}) {
    absl::StatusOr<UpstreamServerInfo> info = ParseServerInfo(body);
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInternal) << body;
  }
}

TEST(ParseUploadAnswerTest, EmptyBodyIsSuccessWithWhatWasSent) {
  absl::StatusOr<StoredObject> result = ParseUploadAnswer("", "k", 12);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->key, "k");
  EXPECT_EQ(result->size, 12);
}

TEST(ParseUploadAnswerTest, SizeThatDiffersFromWhatWasSentIsDataLoss) {
  absl::StatusOr<StoredObject> result =
      ParseUploadAnswer(R"({"status":"uploaded","key":"k","size":5})", "k", 12);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
}

TEST(ParseUploadAnswerTest, ReadsEtag) {
  absl::StatusOr<StoredObject> result =
      ParseUploadAnswer(R"({"status":"uploaded","key":"k","size":3,"etag":"abc"})", "k", 3);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->etag, "abc");
}

TEST(ParseListAnswerTest, ReadsEntriesAndPagination) {
  absl::StatusOr<ListAnswer> answer = ParseListAnswer(R"({
    "objects": [
      {"key": "a", "size": 1, "last_modified": "2026-11-26T06:40:00Z", "etag": "e1",
       "content_type": "text/plain"},
      {"key": "b", "size": 0, "last_modified": "2026-11-26T06:40:00.5+01:00"}
    ],
    "count": 2, "is_truncated": true, "next_start_after": "b"})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(answer->paginates);
  const ListPage* page = &answer->page;
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].key, "a");
  EXPECT_EQ(page->entries[0].etag, "e1");
  EXPECT_EQ(absl::ToUnixSeconds(page->entries[0].last_modified), 1795675200);
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_start_after, "b");
}

TEST(ParseListAnswerTest, WithoutPaginationFieldsTheStoreDoesNotPaginate) {
  absl::StatusOr<ListAnswer> answer = ParseListAnswer(R"({"objects":[],"count":0})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->paginates);
  const ListPage* page = &answer->page;
  EXPECT_TRUE(page->entries.empty());
  EXPECT_FALSE(page->is_truncated);
}

TEST(ParseListAnswerTest, AnUntruncatedAnswerWithTheFieldPaginates) {
  absl::StatusOr<ListAnswer> answer =
      ParseListAnswer(R"({"objects":[],"count":0,"is_truncated":false})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(answer->paginates);
  EXPECT_FALSE(answer->page.is_truncated);
}

TEST(ParseListAnswerTest, RejectsMalformedEntries) {
  for (absl::string_view body : {
           R"({"objects": 5})",
           R"({"objects": [7]})",
           R"({"objects": [{"size": 1}]})",
           R"({"objects": [{"key": "a", "size": -1}]})",
           R"({"objects": [{"key": "a", "size": 1.5}]})",
           R"({"objects": [{"key": "a", "size": 18446744073709551615}]})",
           R"({"objects": [{"key": "a", "size": 1, "last_modified": "yesterday"}]})",
           R"({"objects": [], "is_truncated": true})",
       }) {
    EXPECT_EQ(ParseListAnswer(body).status().code(), absl::StatusCode::kInternal) << body;
  }
}

}  // namespace
}  // namespace objgate
