#include "server/upstream/s3_answers.h"

#include <pugixml.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Answers captured from Ceph RGW 16.2 (Debian bookworm's radosgw, started by
// tools/ceph/rgw.sh) with curl --aws-sigv4, byte for byte. The bucket held the keys
// "100%.csv", "a b.txt", "a+b.txt", "amp&lt<gt>.bin", "quote\"d", "run books/x.txt",
// "tab\tkey" and "한글/x.txt".
constexpr absl::string_view kRgwListUrlEncoded =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url</EncodingType><Name>s3answers</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>100%25.csv</Key><LastModified>2026-11-28T03:02:00.578Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>a%20b.txt</Key><LastModified>2026-11-28T03:02:00.338Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>a%2Bb.txt</Key><LastModified>2026-11-28T03:02:00.461Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>amp%26lt%3Cgt%3E.bin</Key><LastModified>2026-11-28T03:02:01.091Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>quote%22d</Key><LastModified>2026-11-28T03:02:01.217Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>run%20books%2Fx.txt</Key><LastModified>2026-11-28T03:02:00.842Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>tab%09key</Key><LastModified>2026-11-28T03:02:00.972Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>%ED%95%9C%EA%B8%80%2Fx.txt</Key><LastModified>2026-11-28T03:02:00.724Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><KeyCount>8</KeyCount></ListBucketResult>)";

// ?delimiter=/&encoding-type=url&list-type=2&max-keys=3: RGW's continuation token is the
// last key, unencoded.
constexpr absl::string_view kRgwListTruncated =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url</EncodingType><Name>s3answers</Name><Prefix></Prefix><MaxKeys>3</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><Contents><Key>100%25.csv</Key><LastModified>2026-11-28T03:02:00.578Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>a%20b.txt</Key><LastModified>2026-11-28T03:02:00.338Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><Contents><Key>a%2Bb.txt</Key><LastModified>2026-11-28T03:02:00.461Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><NextContinuationToken>a+b.txt</NextContinuationToken><KeyCount>3</KeyCount></ListBucketResult>)";

// ?delimiter=/&encoding-type=url&list-type=2, the Contents cut to the first.
constexpr absl::string_view kRgwListCommonPrefixes =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url</EncodingType><Name>s3answers</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>run%20books/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>%ED%95%9C%EA%B8%80/</Prefix></CommonPrefixes><Contents><Key>100%25.csv</Key><LastModified>2026-11-28T03:02:00.578Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><KeyCount>8</KeyCount></ListBucketResult>)";

constexpr absl::string_view kRgwListEmpty =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>s3answers</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>)";

constexpr absl::string_view kRgwNoSuchKey =
    R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message></Message><BucketName>s3answers</BucketName><RequestId>tx000005ff0092590127ffd-006b0a443c-1008-default</RequestId><HostId>1008-default-default</HostId></Error>)";

constexpr absl::string_view kRgwInitiate =
    R"(<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>s3answers</Bucket><Key>big file+1.bin</Key><UploadId>2~GgK2asCwFF7PFG-tqUM0ToDUBKByzsh</UploadId></InitiateMultipartUploadResult>)";

// RGW 16 answers an empty ETag for the object it just made (HEAD then says
// "460b40e95dd66df64a3878348e72d04b-2").
constexpr absl::string_view kRgwComplete =
    R"(<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>localhost/s3answers/big file+1.bin</Location><Bucket>s3answers</Bucket><Key>big file+1.bin</Key><ETag></ETag></CompleteMultipartUploadResult>)";

// ?encoding-type=url&uploads: the keys are encoded, but the answer does not say so.
constexpr absl::string_view kRgwUploadsUrlEncoded =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>s3answers</Bucket><NextKeyMarker>big file+1.bin</NextKeyMarker><NextUploadIdMarker>2~GgK2asCwFF7PFG-tqUM0ToDUBKByzsh</NextUploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated><Upload><Key>a%20b/%E2%9C%93</Key><UploadId>2~zSDSJ5aJvro0oULEX0tFArVHe0UNzF5</UploadId><Initiator><ID>objgate</ID><DisplayName>objgate tests</DisplayName></Initiator><Owner><ID>objgate</ID><DisplayName>objgate tests</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>2026-11-28T03:02:09.292Z</Initiated></Upload><Upload><Key>big%20file%2B1.bin</Key><UploadId>2~GgK2asCwFF7PFG-tqUM0ToDUBKByzsh</UploadId><Initiator><ID>objgate</ID><DisplayName>objgate tests</DisplayName></Initiator><Owner><ID>objgate</ID><DisplayName>objgate tests</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>2026-11-28T03:02:09.264Z</Initiated></Upload></ListMultipartUploadsResult>)";

// ?max-uploads=1&uploads
constexpr absl::string_view kRgwUploadsTruncated =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>s3answers</Bucket><NextKeyMarker>a b/✓</NextKeyMarker><NextUploadIdMarker>2~zSDSJ5aJvro0oULEX0tFArVHe0UNzF5</NextUploadIdMarker><MaxUploads>1</MaxUploads><IsTruncated>true</IsTruncated><Upload><Key>a b/✓</Key><UploadId>2~zSDSJ5aJvro0oULEX0tFArVHe0UNzF5</UploadId><Initiator><ID>objgate</ID><DisplayName>objgate tests</DisplayName></Initiator><Owner><ID>objgate</ID><DisplayName>objgate tests</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>2026-11-28T03:02:09.292Z</Initiated></Upload></ListMultipartUploadsResult>)";

// A ListBucketResult around `contents` (Contents and CommonPrefixes elements), with
// IsTruncated false unless `tail` says otherwise.
std::string ListAnswer(absl::string_view contents, absl::string_view head = "",
                       absl::string_view tail = "<IsTruncated>false</IsTruncated>") {
  return absl::StrCat(
      R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)",
      head, tail, contents, "</ListBucketResult>");
}

std::string Entry(absl::string_view key, absl::string_view size = "1") {
  return absl::StrCat("<Contents><Key>", key, "</Key><Size>", size, "</Size></Contents>");
}

void ExpectInternal(const absl::Status& status, absl::string_view message_part) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(status.message(), HasSubstr(message_part));
  EXPECT_FALSE(absl::StrContains(status.message(), "\n")) << status;
  EXPECT_LE(status.message().size(), 200u) << status;
}

TEST(ParseS3ErrorTest, ReadsTheAwsErrorDocument) {
  // The sample of the S3 API reference, "Error responses".
  std::optional<S3Error> error = ParseS3Error(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "NoSuchKey");
  EXPECT_EQ(error->message, "The resource you requested does not exist");
  EXPECT_EQ(error->request_id, "4442587FB7D0A2F9");
}

TEST(ParseS3ErrorTest, ReadsCephRgwErrorWithoutMessage) {
  std::optional<S3Error> error = ParseS3Error(kRgwNoSuchKey);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "NoSuchKey");
  EXPECT_EQ(error->message, "");
  EXPECT_EQ(error->request_id, "tx000005ff0092590127ffd-006b0a443c-1008-default");
}

TEST(ParseS3ErrorTest, MatchesElementsWhateverTheirNamespace) {
  std::optional<S3Error> error = ParseS3Error(
      R"(<s3:Error xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:Code> SlowDown </s3:Code><s3:Message>Reduce your request rate.</s3:Message></s3:Error>)");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "SlowDown");
  EXPECT_EQ(error->message, "Reduce your request rate.");
}

TEST(ParseS3ErrorTest, AnythingElseIsNotAnS3Error) {
  for (absl::string_view body : {
           "",
           "Internal Server Error",
           R"({"error": "Object not found"})",
           "<html><body><h1>502 Bad Gateway</h1></body></html>",
           "<Error><Message>no code</Message></Error>",
           "<Error><Code>   </Code></Error>",
           "<Error><Code>NoSuchKey</Code>",  // cut short
           "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
           "\xff\xfe<\0E\0r\0r\0o\0r\0>\0",
       }) {
    EXPECT_FALSE(ParseS3Error(body).has_value()) << body;
  }
}

TEST(ParseS3ErrorTest, RefusesBodiesLargerThanTheLimit) {
  std::string body = "<Error><Code>InternalError</Code><Message>";
  body.append(kMaxS3AnswerBytes, 'x');
  body += "</Message></Error>";
  EXPECT_FALSE(ParseS3Error(body).has_value());
}

TEST(ParseListObjectsV2Test, ReadsTheAwsSampleWithQuotedEtag) {
  // "Example 2: Listing keys using the max-keys, prefix, and start-after parameters".
  absl::StatusOr<ListObjectsV2Answer> answer =
      ParseListObjectsV2(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>quotes</Name>
  <Prefix>E</Prefix>
  <StartAfter>ExampleGuide.pdf</StartAfter>
  <KeyCount>1</KeyCount>
  <MaxKeys>3</MaxKeys>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>ExampleObject.txt</Key>
    <LastModified>2013-09-17T18:07:53.000Z</LastModified>
    <ETag>"599bab3ed2c697f1d26842727561fd94"</ETag>
    <Size>857</Size>
    <StorageClass>REDUCED_REDUNDANCY</StorageClass>
  </Contents>
</ListBucketResult>)");
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->entries.size(), 1u);
  const ObjectEntry& entry = answer->entries[0];
  EXPECT_EQ(entry.key, "ExampleObject.txt");
  EXPECT_EQ(entry.size, 857);
  EXPECT_EQ(entry.etag, "599bab3ed2c697f1d26842727561fd94");
  EXPECT_EQ(entry.last_modified,
            absl::FromCivil(absl::CivilSecond(2013, 9, 17, 18, 7, 53), absl::UTCTimeZone()));
  EXPECT_EQ(entry.content_type, "");
  EXPECT_THAT(answer->common_prefixes, IsEmpty());
  EXPECT_FALSE(answer->is_truncated);
  EXPECT_EQ(answer->next_continuation_token, "");
}

TEST(ParseListObjectsV2Test, ReadsTheAwsTruncatedSampleWithEscapedEtag) {
  // "Example 4: Using a continuation token".
  absl::StatusOr<ListObjectsV2Answer> answer =
      ParseListObjectsV2(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix></Prefix>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <KeyCount>1000</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>happyface.jpg</Key>
    <LastModified>2014-11-21T19:40:05.000Z</LastModified>
    <ETag>&quot;70ee1738b6b21e2c8a43f3a5ab0eee71&quot;</ETag>
    <Size>11</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>)");
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->entries.size(), 1u);
  EXPECT_EQ(answer->entries[0].key, "happyface.jpg");
  EXPECT_EQ(answer->entries[0].size, 11);
  EXPECT_EQ(answer->entries[0].etag, "70ee1738b6b21e2c8a43f3a5ab0eee71");
  EXPECT_TRUE(answer->is_truncated);
  EXPECT_EQ(answer->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(ParseListObjectsV2Test, ReadsTheAwsSampleWithCommonPrefixes) {
  // "Example 3: Listing keys using the prefix and delimiter parameters".
  absl::StatusOr<ListObjectsV2Answer> answer =
      ParseListObjectsV2(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>example-bucket</Name>
  <Prefix>photos/2006/</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>photos/2006/</Key>
    <LastModified>2016-04-30T23:51:29.000Z</LastModified>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <CommonPrefixes>
    <Prefix>photos/2006/February/</Prefix>
  </CommonPrefixes>
  <CommonPrefixes>
    <Prefix>photos/2006/January/</Prefix>
  </CommonPrefixes>
</ListBucketResult>)");
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->entries.size(), 1u);
  EXPECT_EQ(answer->entries[0].key, "photos/2006/");
  EXPECT_EQ(answer->entries[0].size, 0);
  EXPECT_THAT(answer->common_prefixes,
              ElementsAre("photos/2006/February/", "photos/2006/January/"));
}

TEST(ParseListObjectsV2Test, DecodesCephRgwUrlEncodedKeys) {
  absl::StatusOr<ListObjectsV2Answer> answer = ParseListObjectsV2(kRgwListUrlEncoded);
  ASSERT_TRUE(answer.ok()) << answer.status();
  std::vector<std::string> keys;
  for (const ObjectEntry& entry : answer->entries) {
    keys.push_back(entry.key);
    EXPECT_EQ(entry.size, 5);
    EXPECT_EQ(entry.etag, "5d41402abc4b2a76b9719d911017c592");
  }
  EXPECT_THAT(keys, ElementsAre("100%.csv", "a b.txt", "a+b.txt", "amp&lt<gt>.bin", "quote\"d",
                                "run books/x.txt", "tab\tkey", "한글/x.txt"));
  EXPECT_EQ(answer->entries[0].last_modified,
            absl::FromCivil(absl::CivilSecond(2026, 11, 28, 3, 2, 0), absl::UTCTimeZone()) +
                absl::Milliseconds(578));
}

TEST(ParseListObjectsV2Test, KeepsTheContinuationTokenAsSent) {
  // RGW's token is the last key, and is not encoded even under encoding-type=url.
  absl::StatusOr<ListObjectsV2Answer> answer = ParseListObjectsV2(kRgwListTruncated);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->entries.size(), 3u);
  EXPECT_TRUE(answer->is_truncated);
  EXPECT_EQ(answer->next_continuation_token, "a+b.txt");
}

TEST(ParseListObjectsV2Test, DecodesCommonPrefixes) {
  absl::StatusOr<ListObjectsV2Answer> answer = ParseListObjectsV2(kRgwListCommonPrefixes);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(answer->common_prefixes, ElementsAre("run books/", "한글/"));
  ASSERT_EQ(answer->entries.size(), 1u);
  EXPECT_EQ(answer->entries[0].key, "100%.csv");
}

TEST(ParseListObjectsV2Test, ReadsAnEmptyListing) {
  absl::StatusOr<ListObjectsV2Answer> answer = ParseListObjectsV2(kRgwListEmpty);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(answer->entries, IsEmpty());
  EXPECT_THAT(answer->common_prefixes, IsEmpty());
  EXPECT_FALSE(answer->is_truncated);
}

TEST(ParseListObjectsV2Test, DecodesUrlEncodedKeysBothWaysStoresWriteThem) {
  // AWS writes a space as '+', Ceph RGW as %20; both write '+' as %2B.
  struct Case {
    absl::string_view encoded;
    absl::string_view key;
  };
  for (const Case& c : std::vector<Case>{
           {"a+b.txt", "a b.txt"},
           {"a%20b.txt", "a b.txt"},
           {"a%2Bb.txt", "a+b.txt"},
           {"a%2bb.txt", "a+b.txt"},
           {"dir%2Fsub%2Ffile", "dir/sub/file"},
           {"dir/sub/file", "dir/sub/file"},
           {"100%25", "100%"},
           {"%ED%95%9C%EA%B8%80", "한글"},
           {"%F0%9F%98%80", "\xF0\x9F\x98\x80"},
           // Bytes XML 1.0 cannot carry, the reason for encoding-type=url.
           {"bell%07%0D%0A", "bell\a\r\n"},
           {"nul%00byte", absl::string_view("nul\0byte", 8)},
           {"%26%3C%3E%22%27", "&<>\"'"},
           {"+", " "},
       }) {
    absl::StatusOr<ListObjectsV2Answer> answer =
        ParseListObjectsV2(ListAnswer(Entry(c.encoded), "<EncodingType>url</EncodingType>"));
    ASSERT_TRUE(answer.ok()) << c.encoded << ": " << answer.status();
    ASSERT_EQ(answer->entries.size(), 1u);
    EXPECT_EQ(answer->entries[0].key, c.key) << c.encoded;
  }
}

TEST(ParseListObjectsV2Test, WithoutEncodingTypeKeysAreTakenLiterally) {
  absl::StatusOr<ListObjectsV2Answer> answer = ParseListObjectsV2(
      ListAnswer(Entry("a+b%20c") + Entry("amp&amp;lt&lt;gt&gt;.bin") + Entry("&#x1F600; &#233;") +
                 Entry(" ") + Entry(" padded ") + Entry("ключ/日本語")));
  ASSERT_TRUE(answer.ok()) << answer.status();
  std::vector<std::string> keys;
  for (const ObjectEntry& entry : answer->entries) keys.push_back(entry.key);
  EXPECT_THAT(keys, ElementsAre("a+b%20c", "amp&lt<gt>.bin", "\xF0\x9F\x98\x80 \xC3\xA9", " ",
                                " padded ", "ключ/日本語"));
}

TEST(ParseListObjectsV2Test, IgnoresNamespacesAndUnknownElements) {
  for (
      absl::string_view body : {
          // A prefix on every element.
          R"(<s3:ListBucketResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:IsTruncated>false</s3:IsTruncated><s3:Contents><s3:Key>k</s3:Key><s3:Size>7</s3:Size><s3:Owner><s3:ID>x</s3:ID></s3:Owner></s3:Contents></s3:ListBucketResult>)",
          // No namespace at all, extra elements, comments, CDATA.
          R"(<ListBucketResult><Tenant>t</Tenant><IsTruncated> false </IsTruncated><Contents><!-- c --><Key><![CDATA[k]]></Key><Size> 7 </Size><Type>Normal</Type><ChecksumAlgorithm>CRC32</ChecksumAlgorithm></Contents></ListBucketResult>)",
      }) {
    absl::StatusOr<ListObjectsV2Answer> answer = ParseListObjectsV2(body);
    ASSERT_TRUE(answer.ok()) << body << ": " << answer.status();
    ASSERT_EQ(answer->entries.size(), 1u);
    EXPECT_EQ(answer->entries[0].key, "k");
    EXPECT_EQ(answer->entries[0].size, 7);
  }
}

TEST(ParseListObjectsV2Test, ReadsEtagsInEveryForm) {
  struct Case {
    absl::string_view xml;
    absl::string_view etag;
  };
  for (const Case& c : std::vector<Case>{
           {"&quot;abc&quot;", "abc"},
           {"\"abc\"", "abc"},
           {"&#34;abc-2&#34;", "abc-2"},
           {"W/\"abc\"", "abc"},
           {"abc", "abc"},
           {" \"abc\" ", "abc"},
           {"", ""},
       }) {
    absl::StatusOr<ListObjectsV2Answer> answer = ParseListObjectsV2(ListAnswer(
        absl::StrCat("<Contents><Key>k</Key><Size>1</Size><ETag>", c.xml, "</ETag></Contents>")));
    ASSERT_TRUE(answer.ok()) << c.xml << ": " << answer.status();
    EXPECT_EQ(answer->entries[0].etag, c.etag) << c.xml;
  }
}

TEST(ParseListObjectsV2Test, RefusesMalformedAnswersNamingWhatIsWrong) {
  struct Case {
    std::string body;
    std::string message;
  };
  const std::string url = "<EncodingType>url</EncodingType>";
  for (const Case& c : std::vector<Case>{
           {ListAnswer(Entry("k", "abc")),
            R"(ListObjectsV2 answer: <Size> of key "k" is not a number)"},
           {ListAnswer(Entry("k", "-1")), R"(<Size> of key "k" is not a number)"},
           {ListAnswer(Entry("k", "+1")), R"(<Size> of key "k" is not a number)"},
           {ListAnswer(Entry("k", "1e3")), R"(<Size> of key "k" is not a number)"},
           {ListAnswer(Entry("k", "9223372036854775808")), R"(<Size> of key "k" is not a number)"},
           {ListAnswer(Entry("k", "")), R"(<Size> of key "k" is not a number)"},
           {ListAnswer("<Contents><Key>k</Key></Contents>"), R"(key "k" has no <Size>)"},
           {ListAnswer("<Contents><Size>1</Size></Contents>"), "an entry has no <Key>"},
           {ListAnswer(Entry("")), "an entry has no <Key>"},
           {ListAnswer("<Contents><Key>k</Key><Size>1</Size><LastModified>yesterday</LastModified>"
                       "</Contents>"),
            R"(<LastModified> "yesterday" of key "k" is not ISO 8601)"},
           {ListAnswer(Entry("k"), "", ""), "ListObjectsV2 answer: no <IsTruncated>"},
           {ListAnswer(Entry("k"), "", "<IsTruncated>maybe</IsTruncated>"),
            R"(<IsTruncated> "maybe" is not true or false)"},
           {ListAnswer(Entry("k"), "", "<IsTruncated>true</IsTruncated>"),
            "truncated without a <NextContinuationToken>"},
           {ListAnswer(Entry("100%"), url), R"(<Key> "100%" is not url-encoded)"},
           {ListAnswer(Entry("%zz"), url), R"(<Key> "%zz" is not url-encoded)"},
           {ListAnswer("<CommonPrefixes><Prefix>a%2</Prefix></CommonPrefixes>", url),
            R"(<Prefix> "a%2" is not url-encoded)"},
           {ListAnswer("<CommonPrefixes></CommonPrefixes>"), "a <CommonPrefixes> has no <Prefix>"},
           {ListAnswer("<CommonPrefixes><Prefix></Prefix></CommonPrefixes>"),
            "a common prefix is empty"},
           {ListAnswer(Entry("k"), "<EncodingType>base64</EncodingType>"),
            R"(unknown <EncodingType> "base64")"},
           {"<ListAllMyBucketsResult/>",
            "ListObjectsV2 answer: <ListAllMyBucketsResult> instead of <ListBucketResult>"},
           {std::string(kRgwNoSuchKey), R"(ListObjectsV2 answer: an S3 error, "NoSuchKey")"},
           {"", "ListObjectsV2 answer: not XML (No document element found"},
           {"Service Unavailable", "ListObjectsV2 answer: not XML"},
           {std::string(kRgwListUrlEncoded.substr(0, 500)), "ListObjectsV2 answer: not XML"},
           {"<html><body>502 Bad Gateway</body></html>", "<html> instead of <ListBucketResult>"},
       }) {
    ExpectInternal(ParseListObjectsV2(c.body).status(), c.message);
  }
}

TEST(ParseListObjectsV2Test, MessagesStayShortWhateverTheAnswerHolds) {
  const std::string long_key(100000, 'k');
  absl::Status status = ParseListObjectsV2(ListAnswer(Entry(long_key, "x"))).status();
  ExpectInternal(status, "<Size> of key \"kkk");
  status = ParseListObjectsV2(ListAnswer(Entry("line\nbreak", "x"))).status();
  ExpectInternal(status, "<Size> of key \"line break\" is not a number");
  status = ParseListObjectsV2(absl::StrCat("<", std::string(5000, 'R'), "/>")).status();
  ExpectInternal(status, "instead of <ListBucketResult>");
}

TEST(ParseListObjectsV2Test, RefusesBodiesLargerThanTheLimit) {
  std::string padding(kMaxS3AnswerBytes, ' ');
  ExpectInternal(ParseListObjectsV2(ListAnswer(padding)).status(),
                 "ListObjectsV2 answer: larger than 32 MiB");
}

TEST(ParseInitiateMultipartUploadTest, ReadsTheUploadId) {
  // The sample of the S3 API reference, CreateMultipartUpload.
  absl::StatusOr<std::string> upload_id =
      ParseInitiateMultipartUpload(R"(<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>)");
  ASSERT_TRUE(upload_id.ok()) << upload_id.status();
  EXPECT_EQ(*upload_id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");

  upload_id = ParseInitiateMultipartUpload(kRgwInitiate);
  ASSERT_TRUE(upload_id.ok()) << upload_id.status();
  EXPECT_EQ(*upload_id, "2~GgK2asCwFF7PFG-tqUM0ToDUBKByzsh");
}

TEST(ParseInitiateMultipartUploadTest, RefusesAnswersWithoutUploadId) {
  ExpectInternal(ParseInitiateMultipartUpload(
                     "<InitiateMultipartUploadResult><Key>k</Key></InitiateMultipartUploadResult>")
                     .status(),
                 "CreateMultipartUpload answer: no <UploadId>");
  ExpectInternal(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult><UploadId></UploadId>"
                                              "</InitiateMultipartUploadResult>")
                     .status(),
                 "no <UploadId>");
  ExpectInternal(ParseInitiateMultipartUpload(kRgwNoSuchKey).status(), "an S3 error");
  ExpectInternal(ParseInitiateMultipartUpload("\x01\x02").status(), "not XML");
}

// The parts of a CompleteMultipartUpload body, read back with pugixml.
std::vector<UploadedPart> ReadBack(const std::string& body) {
  pugi::xml_document document;
  EXPECT_TRUE(document.load_buffer(body.data(), body.size())) << body;
  pugi::xml_node root = document.document_element();
  EXPECT_STREQ(root.name(), "CompleteMultipartUpload");
  EXPECT_STREQ(root.attribute("xmlns").value(), "http://s3.amazonaws.com/doc/2006-03-01/");
  std::vector<UploadedPart> parts;
  for (pugi::xml_node part : root.children("Part")) {
    parts.push_back({part.child("PartNumber").text().as_int(), 0, part.child_value("ETag")});
  }
  return parts;
}

MATCHER_P2(IsPart, number, etag, "") { return arg.number == number && arg.etag == etag; }

TEST(CompleteMultipartUploadBodyTest, WritesTheDocumentedShape) {
  EXPECT_EQ(
      CompleteMultipartUploadBody({{1, 0, "a54357aff0632cce46d942af68356b38"},
                                   {2, 0, "\"0c78aef83f66abc1fa1e8477f296d394\""}}),
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      R"(<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part>)"
      R"(<Part><PartNumber>2</PartNumber><ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag></Part>)"
      R"(</CompleteMultipartUpload>)");
}

TEST(CompleteMultipartUploadBodyTest, EscapesXmlSpecialCharacters) {
  const std::string body = CompleteMultipartUploadBody(
      {{1, 0, "a&b"}, {2, 0, "<c>"}, {3, 0, "d\"e'f"}, {10000, 0, "]]>&amp;"}});
  EXPECT_THAT(body, HasSubstr("<ETag>\"a&amp;b\"</ETag>"));
  EXPECT_THAT(body, HasSubstr("<ETag>\"&lt;c&gt;\"</ETag>"));
  EXPECT_THAT(ReadBack(body), ElementsAre(IsPart(1, "\"a&b\""), IsPart(2, "\"<c>\""),
                                          IsPart(3, "\"d\"e'f\""), IsPart(10000, "\"]]>&amp;\"")));
}

TEST(CompleteMultipartUploadBodyTest, QuotesEachEtagOnce) {
  EXPECT_THAT(ReadBack(CompleteMultipartUploadBody(
                  {{1, 0, "abc"}, {2, 0, "\"abc\""}, {3, 0, "W/\"abc\""}})),
              ElementsAre(IsPart(1, "\"abc\""), IsPart(2, "\"abc\""), IsPart(3, "\"abc\"")));
}

TEST(CompleteMultipartUploadBodyTest, WritesNoPartsForNone) {
  EXPECT_THAT(ReadBack(CompleteMultipartUploadBody({})), IsEmpty());
}

TEST(ParseCompleteMultipartUploadTest, ReadsTheEtagOfTheNewObject) {
  // The sample of the S3 API reference, CompleteMultipartUpload, after the whitespace S3
  // sends while it combines the parts.
  absl::StatusOr<DeferredResult> answer = ParseCompleteMultipartUpload(
      R"(
   
<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Location>http://Example-Bucket.s3.region.amazonaws.com/Example-Object</Location>
  <Bucket>Example-Bucket</Bucket>
  <Key>Example-Object</Key>
  <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>)");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->error.has_value());
  EXPECT_EQ(answer->etag, "3858f62230ac3c915f300c664312c11f-9");
}

TEST(ParseCompleteMultipartUploadTest, CephRgwNamesNoEtag) {
  absl::StatusOr<DeferredResult> answer = ParseCompleteMultipartUpload(kRgwComplete);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->error.has_value());
  EXPECT_EQ(answer->etag, "");
}

TEST(ParseCompleteMultipartUploadTest, AnErrorAfterThe200IsAnAnswerWithTheError) {
  // The S3 API reference's example of an error embedded in a 200.
  absl::StatusOr<DeferredResult> answer = ParseCompleteMultipartUpload(
      R"(        
<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>InternalError</Code>
  <Message>We encountered an internal error. Please try again.</Message>
  <RequestId>656c76696e6727732072657175657374</RequestId>
  <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
</Error>)");
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_TRUE(answer->error.has_value());
  EXPECT_EQ(answer->error->code, "InternalError");
  EXPECT_EQ(answer->error->message, "We encountered an internal error. Please try again.");
  EXPECT_EQ(answer->error->request_id, "656c76696e6727732072657175657374");
  EXPECT_EQ(answer->etag, "");
}

TEST(ParseCompleteMultipartUploadTest, RefusesBodiesThatAreNeitherDocument) {
  ExpectInternal(ParseCompleteMultipartUpload("").status(),
                 "CompleteMultipartUpload answer: not XML");
  // The connection closed while S3 was still sending whitespace.
  ExpectInternal(ParseCompleteMultipartUpload("    \n   \n").status(), "not XML");
  ExpectInternal(
      ParseCompleteMultipartUpload(
          R"(<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><ETag>"x")")
          .status(),
      "not XML");
  ExpectInternal(ParseCompleteMultipartUpload("<Error><Message>m</Message></Error>").status(),
                 "CompleteMultipartUpload answer: an <Error> without a <Code>");
  ExpectInternal(ParseCompleteMultipartUpload(kRgwInitiate).status(),
                 "<InitiateMultipartUploadResult> instead of <CompleteMultipartUploadResult>");
}

TEST(ParseListMultipartUploadsTest, ReadsTheAwsSample) {
  // The sample of the S3 API reference, ListMultipartUploads.
  absl::StatusOr<ListMultipartUploadsAnswer> answer =
      ParseListMultipartUploads(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket>
  <KeyMarker></KeyMarker>
  <UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads>
  <IsTruncated>true</IsTruncated>
  <Upload>
    <Key>my-divisor</Key>
    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiator>
      <ID>arn:aws:iam::111122223333:user/user1-11111a31-17b5-4fb7-9df5-b111111f13de</ID>
      <DisplayName>user1-11111a31-17b5-4fb7-9df5-b111111f13de</DisplayName>
    </Initiator>
    <Owner>
      <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>
      <DisplayName>OwnerDisplayName</DisplayName>
    </Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my-movie.m2ts</Key>
    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
    <Initiator>
      <ID>b1d16700c70b0b05597d7acd6a3f92be</ID>
      <DisplayName>InitiatorDisplayName</DisplayName>
    </Initiator>
    <Owner>
      <ID>b1d16700c70b0b05597d7acd6a3f92be</ID>
      <DisplayName>OwnerDisplayName</DisplayName>
    </Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated>
  </Upload>
  <Upload>
    <Key>my-movie.m2ts</Key>
    <UploadId>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</UploadId>
    <Initiator>
      <ID>b1d16700c70b0b05597d7acd6a3f92be</ID>
      <DisplayName>InitiatorDisplayName</DisplayName>
    </Initiator>
    <Owner>
      <ID>b1d16700c70b0b05597d7acd6a3f92be</ID>
      <DisplayName>OwnerDisplayName</DisplayName>
    </Owner>
    <StorageClass>STANDARD</StorageClass>
    <Initiated>2010-11-10T20:49:33.000Z</Initiated>
  </Upload>
</ListMultipartUploadsResult>)");
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->uploads.size(), 3u);
  EXPECT_EQ(answer->uploads[0].key, "my-divisor");
  EXPECT_EQ(answer->uploads[0].upload_id, "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
  EXPECT_EQ(answer->uploads[2].key, "my-movie.m2ts");
  EXPECT_EQ(answer->uploads[2].upload_id, "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
  EXPECT_TRUE(answer->is_truncated);
  EXPECT_EQ(answer->next_key_marker, "my-movie.m2ts");
  EXPECT_EQ(answer->next_upload_id_marker, "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
}

TEST(ParseListMultipartUploadsTest, ReadsCephRgwTruncatedAnswer) {
  absl::StatusOr<ListMultipartUploadsAnswer> answer =
      ParseListMultipartUploads(kRgwUploadsTruncated);
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->uploads.size(), 1u);
  EXPECT_EQ(answer->uploads[0].key, "a b/✓");
  EXPECT_EQ(answer->uploads[0].upload_id, "2~zSDSJ5aJvro0oULEX0tFArVHe0UNzF5");
  EXPECT_TRUE(answer->is_truncated);
  EXPECT_EQ(answer->next_key_marker, "a b/✓");
  EXPECT_EQ(answer->next_upload_id_marker, "2~zSDSJ5aJvro0oULEX0tFArVHe0UNzF5");
}

TEST(ParseListMultipartUploadsTest, DecodesKeysAndMarkerUnderEncodingTypeUrl) {
  absl::StatusOr<ListMultipartUploadsAnswer> answer = ParseListMultipartUploads(
      R"(<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url</EncodingType><NextKeyMarker>big+file%2B1.bin</NextKeyMarker><NextUploadIdMarker>u+2</NextUploadIdMarker><IsTruncated>true</IsTruncated><Upload><Key>a+b%2F%E2%9C%93</Key><UploadId>u+1</UploadId></Upload><Upload><Key>big+file%2B1.bin</Key><UploadId>u+2</UploadId></Upload></ListMultipartUploadsResult>)");
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->uploads.size(), 2u);
  EXPECT_EQ(answer->uploads[0].key, "a b/✓");
  EXPECT_EQ(answer->uploads[1].key, "big file+1.bin");
  // Upload ids are never encoded.
  EXPECT_EQ(answer->uploads[1].upload_id, "u+2");
  EXPECT_EQ(answer->next_key_marker, "big file+1.bin");
  EXPECT_EQ(answer->next_upload_id_marker, "u+2");
}

TEST(ParseListMultipartUploadsTest, CephRgwKeysEncodedWithoutEncodingTypeStayEncoded) {
  // What the header warns about: only the answer says whether its keys are encoded.
  absl::StatusOr<ListMultipartUploadsAnswer> answer =
      ParseListMultipartUploads(kRgwUploadsUrlEncoded);
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->uploads.size(), 2u);
  EXPECT_EQ(answer->uploads[0].key, "a%20b/%E2%9C%93");
  EXPECT_EQ(answer->uploads[1].key, "big%20file%2B1.bin");
  EXPECT_FALSE(answer->is_truncated);
}

TEST(ParseListMultipartUploadsTest, ReadsAnEmptyListing) {
  absl::StatusOr<ListMultipartUploadsAnswer> answer = ParseListMultipartUploads(
      R"(<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>)");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(answer->uploads, IsEmpty());
  EXPECT_FALSE(answer->is_truncated);
}

TEST(ParseListMultipartUploadsTest, RefusesMalformedAnswers) {
  struct Case {
    std::string body;
    std::string message;
  };
  auto uploads = [](absl::string_view inside) {
    return absl::StrCat("<ListMultipartUploadsResult>", inside, "</ListMultipartUploadsResult>");
  };
  for (const Case& c : std::vector<Case>{
           {uploads("<IsTruncated>false</IsTruncated><Upload><UploadId>u</UploadId></Upload>"),
            "ListMultipartUploads answer: an upload has no <Key>"},
           {uploads("<IsTruncated>false</IsTruncated><Upload><Key>k</Key></Upload>"),
            R"(the upload of key "k" has no <UploadId>)"},
           {uploads("<Upload><Key>k</Key><UploadId>u</UploadId></Upload>"), "no <IsTruncated>"},
           {uploads("<IsTruncated>true</IsTruncated><NextUploadIdMarker>u</NextUploadIdMarker>"),
            "truncated without a <NextKeyMarker>"},
           {uploads("<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
                    "<NextKeyMarker>%</NextKeyMarker>"),
            R"(<NextKeyMarker> "%" is not url-encoded)"},
           {std::string(kRgwNoSuchKey), R"(an S3 error, "NoSuchKey")"},
           {"not xml", "ListMultipartUploads answer: not XML"},
       }) {
    ExpectInternal(ParseListMultipartUploads(c.body).status(), c.message);
  }
}

TEST(S3AnswersTest, EveryParserRefusesANonXmlBody) {
  for (absl::string_view body : {absl::string_view(""), absl::string_view("{\"objects\": []}"),
                                 absl::string_view("\0\0\0\0", 4), absl::string_view("<<<>>>"),
                                 absl::string_view("\xEF\xBB\xBF")}) {
    EXPECT_EQ(ParseListObjectsV2(body).status().code(), absl::StatusCode::kInternal);
    EXPECT_EQ(ParseInitiateMultipartUpload(body).status().code(), absl::StatusCode::kInternal);
    EXPECT_EQ(ParseCompleteMultipartUpload(body).status().code(), absl::StatusCode::kInternal);
    EXPECT_EQ(ParseListMultipartUploads(body).status().code(), absl::StatusCode::kInternal);
    EXPECT_FALSE(ParseS3Error(body).has_value());
  }
}

}  // namespace
}  // namespace objgate
