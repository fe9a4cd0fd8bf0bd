#include "server/service/request_validation.h"

#include <functional>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::storage::v1;

struct InvalidCase {
  const char* name;
  std::function<absl::Status()> check;
  const char* message;
};

absl::Status UploadStatus(std::function<void(v1::ObjectSpec&)> edit) {
  v1::ObjectSpec spec;
  spec.set_key("k");
  edit(spec);
  return ValidateUploadSpec(spec).status();
}

absl::Status DownloadStatus(std::function<void(v1::DownloadRequest&)> edit) {
  v1::DownloadRequest request;
  request.set_key("k");
  edit(request);
  return ValidateDownloadRequest(request).status();
}

absl::Status ListStatus(std::function<void(v1::ListRequest&)> edit) {
  v1::ListRequest request;
  edit(request);
  return ValidateListRequest(request).status();
}

TEST(RequestValidationTest, EveryBadFieldIsInvalidArgumentNamingIt) {
  const InvalidCase cases[] = {
      {"empty key", [] { return UploadStatus([](auto& s) { s.set_key(""); }); }, "spec.key"},
      {"long key",
       [] { return UploadStatus([](auto& s) { s.set_key(std::string(1025, 'k')); }); },
       "spec.key is 1025 bytes"},
      {"NUL in key",
       [] { return UploadStatus([](auto& s) { s.set_key(std::string("a\0b", 3)); }); }, "NUL"},
      {"negative size", [] { return UploadStatus([](auto& s) { s.set_size(-1); }); },
       "spec.size"},
      {"bad sha256", [] { return UploadStatus([](auto& s) { s.set_sha256("abc"); }); },
       "spec.sha256"},
      {"header injection in content type",
       [] { return UploadStatus([](auto& s) { s.set_content_type("a\r\nX-Evil: 1"); }); },
       "spec.content_type"},
      {"bad metadata key",
       [] { return UploadStatus([](auto& s) { (*s.mutable_metadata())["a b"] = "v"; }); },
       "spec.metadata key"},
      {"header injection in metadata value",
       [] { return UploadStatus([](auto& s) { (*s.mutable_metadata())["a"] = "v\nX: y"; }); },
       "spec.metadata value"},
      {"too many metadata pairs",
       [] {
         return UploadStatus([](auto& s) {
           for (int i = 0; i < 65; ++i) (*s.mutable_metadata())["k" + std::to_string(i)] = "v";
         });
       },
       "65 pairs"},
      {"download empty key", [] { return DownloadStatus([](auto& r) { r.set_key(""); }); },
       "key is empty"},
      {"negative offset", [] { return DownloadStatus([](auto& r) { r.set_offset(-5); }); },
       "offset must be >= 0"},
      {"negative limit", [] { return DownloadStatus([](auto& r) { r.set_limit(-1); }); },
       "limit must be >= 0"},
      {"overflowing range",
       [] {
         return DownloadStatus([](auto& r) {
           r.set_offset(std::numeric_limits<int64_t>::max() - 1);
           r.set_limit(10);
         });
       },
       "overflows"},
      {"quoted if_match", [] { return DownloadStatus([](auto& r) { r.set_if_match("\"e\""); }); },
       "if_match"},
      {"page size too big", [] { return ListStatus([](auto& r) { r.set_page_size(10001); }); },
       "page_size must be 0 to 10000"},
      {"negative page size", [] { return ListStatus([](auto& r) { r.set_page_size(-1); }); },
       "page_size"},
      {"negative list limit", [] { return ListStatus([](auto& r) { r.set_limit(-1); }); },
       "limit must be >= 0"},
      {"long prefix",
       [] { return ListStatus([](auto& r) { r.set_prefix(std::string(1025, 'p')); }); },
       "prefix is 1025 bytes"},
      {"NUL in start_after",
       [] { return ListStatus([](auto& r) { r.set_start_after(std::string("\0", 1)); }); },
       "start_after contains a NUL"},
  };
  for (const InvalidCase& c : cases) {
    absl::Status status = c.check();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.name;
  }
}

TEST(RequestValidationTest, UploadSpecCarriesEverythingUpstream) {
  v1::ObjectSpec spec;
  spec.set_key("dir/file.bin");
  spec.set_content_type("image/png");
  spec.set_size(42);
  spec.set_sha256(std::string(64, 'A'));
  (*spec.mutable_metadata())["owner"] = "ops";
  absl::StatusOr<UploadSpec> upload = ValidateUploadSpec(spec);
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->key, "dir/file.bin");
  EXPECT_EQ(upload->size, 42);
  EXPECT_EQ(upload->sha256, std::string(64, 'a'));
  EXPECT_EQ(upload->metadata.at("owner"), "ops");
}

TEST(RequestValidationTest, ZeroLimitMeansToTheEnd) {
  v1::DownloadRequest request;
  request.set_key("k");
  request.set_offset(7);
  absl::StatusOr<DownloadSpec> spec = ValidateDownloadRequest(request);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->offset, 7);
  EXPECT_FALSE(spec->length.has_value());
}

TEST(RequestValidationTest, ListDefaultsPageSizeAndKeepsTheCursor) {
  v1::ListRequest request;
  request.set_prefix("logs/");
  request.set_start_after("logs/0009");
  absl::StatusOr<ListPlan> plan = ValidateListRequest(request);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->page_size, kDefaultPageSize);
  EXPECT_FALSE(plan->limit.has_value());
  EXPECT_EQ(plan->first_query.start_after, "logs/0009");
}

}  // namespace
}  // namespace objgate
