#include "tools/refstore/upload_manifest.h"

#include <string>

#include "gtest/gtest.h"

namespace objgate::refstore {
namespace {

TEST(UploadManifestTest, EveryFieldSurvivesARoundTripWhateverBytesTheKeyHolds) {
  UploadManifest manifest;
  manifest.key = std::string("a\nb \"c\" \\d\0e\xff", 14);
  manifest.content_type = "text/plain; charset=utf-8";
  manifest.expected_sha256 = std::string(64, 'A');
  manifest.expected_crc32c = 0x0000abcd;
  manifest.if_none_match_any = true;
  manifest.if_match = "\"etag one\", W/\"two\"";
  manifest.created = absl::FromUnixMicros(1700000000123456);
  manifest.last_activity = manifest.created + absl::Minutes(5);
  manifest.complete = true;
  manifest.size = 12345678901;
  manifest.sha256 = std::string(64, 'f');
  manifest.crc32c = 0xe3069283;

  absl::StatusOr<UploadManifest> decoded = DecodeUploadManifest(EncodeUploadManifest(manifest));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->key, manifest.key);
  EXPECT_EQ(decoded->content_type, manifest.content_type);
  EXPECT_EQ(decoded->expected_sha256, manifest.expected_sha256);
  EXPECT_EQ(decoded->expected_crc32c, manifest.expected_crc32c);
  EXPECT_TRUE(decoded->if_none_match_any);
  EXPECT_EQ(decoded->if_match, manifest.if_match);
  EXPECT_EQ(decoded->created, manifest.created);
  EXPECT_EQ(decoded->last_activity, manifest.last_activity);
  EXPECT_TRUE(decoded->complete);
  EXPECT_EQ(decoded->size, manifest.size);
  EXPECT_EQ(decoded->sha256, manifest.sha256);
  EXPECT_EQ(decoded->crc32c, manifest.crc32c);
}

TEST(UploadManifestTest, OptionalFieldsStayAbsent) {
  UploadManifest manifest;
  manifest.key = "k";
  absl::StatusOr<UploadManifest> decoded = DecodeUploadManifest(EncodeUploadManifest(manifest));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_FALSE(decoded->expected_sha256.has_value());
  EXPECT_FALSE(decoded->expected_crc32c.has_value());
  EXPECT_FALSE(decoded->if_none_match_any);
  EXPECT_FALSE(decoded->if_match.has_value());
  EXPECT_FALSE(decoded->complete);
}

TEST(UploadManifestTest, CompletionRecordedBeforeCrc32csDecodesWithoutOne) {
  const std::string sha256(64, 'a');
  absl::StatusOr<UploadManifest> decoded = DecodeUploadManifest(
      "refstore-upload 1\nkey k\ncontent_type text/plain\ncreated 1\nlast_activity 2\n"
      "complete 5 " +
      sha256 + "\n");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->complete);
  EXPECT_EQ(decoded->size, 5u);
  EXPECT_EQ(decoded->sha256, sha256);
  EXPECT_FALSE(decoded->crc32c.has_value());
}

TEST(UploadManifestTest, DamagedTextIsDataLoss) {
  UploadManifest manifest;
  manifest.key = "k";
  const std::string whole = EncodeUploadManifest(manifest);
  for (const std::string& text :
       {std::string(), whole.substr(0, whole.size() - 1), whole.substr(0, whole.find("created")),
        "refstore-upload 2\n" + whole.substr(whole.find('\n') + 1), whole + "unknown x\n",
        whole + "complete 5 nothex\n", whole + "created soon\n",
        whole + "complete 5 " + std::string(64, 'a') + " 0x123456\n",
        whole + "complete 5 " + std::string(64, 'a') + " e3069283 more\n",
        whole + "expected_crc32c e306928\n", whole + "expected_crc32c +3069283\n"}) {
    EXPECT_EQ(DecodeUploadManifest(text).status().code(), absl::StatusCode::kDataLoss) << text;
  }
}

}  // namespace
}  // namespace objgate::refstore
