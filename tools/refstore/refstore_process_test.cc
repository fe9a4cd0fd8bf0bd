// The real refstore binary on an ephemeral loopback port, driven with libcurl.

#include "tests/support/refstore_process.h"

#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crc32c.h"
#include "common/sha256.h"
#include "common/url_encoding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/http_client.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tools/refstore/object_file.h"

namespace objgate::refstore {
namespace {

using ::objgate::test_support::HeaderList;
using ::objgate::test_support::HttpCall;
using ::objgate::test_support::HttpClient;
using ::objgate::test_support::HttpResponse;
using ::objgate::test_support::StartRefstore;
using ::objgate::test_support::Subprocess;
using ::objgate::test_support::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Optional;

constexpr char kTenantA[] = "550e8400-e29b-41d4-a716-446655440000";
constexpr char kTenantB[] = "tenant-b";

HeaderList Tenant(absl::string_view tenant = kTenantA) {
  return {{"X-Tenant-ID", std::string(tenant)}};
}

std::string Upload(absl::string_view key) { return "/upload?key=" + UrlEncode(key); }
std::string Download(absl::string_view key) { return "/download?key=" + UrlEncode(key); }
std::string DeleteTarget(absl::string_view key) { return "/delete?key=" + UrlEncode(key); }
std::string Uploads(absl::string_view key) { return "/uploads?key=" + UrlEncode(key); }
// `route` is "" (abort), "/parts" or "/complete".
std::string UploadRoute(absl::string_view route, absl::string_view key,
                        absl::string_view upload_id) {
  return absl::StrCat("/uploads", route, "?key=", UrlEncode(key), "&upload_id=", upload_id);
}
std::string Part(absl::string_view key, absl::string_view upload_id, int part_number) {
  return absl::StrCat(UploadRoute("/part", key, upload_id), "&part_number=", part_number);
}

// As X-Checksum-CRC32C carries it.
std::string Crc32cHeader(absl::string_view bytes) { return absl::StrFormat("%08x", Crc32c(bytes)); }

nlohmann::json Json(const HttpResponse& response) {
  return nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
}

class RefstoreProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  void Start(std::vector<std::string> extra_args = {}) {
    client_.reset();
    server_.reset();
    absl::StatusOr<std::unique_ptr<Subprocess>> server =
        StartRefstore(dir_.Sub("data"), std::move(extra_args));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<HttpClient>(server_->address());
  }

  HttpResponse Call(const HttpCall& call) {
    absl::StatusOr<HttpResponse> response = client_->Perform(call);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.value_or(HttpResponse());
  }
  HttpResponse Get(std::string target, HeaderList headers = Tenant()) {
    return Call(HttpCall{"GET", std::move(target), std::move(headers)});
  }
  HttpResponse Put(std::string target, std::string body, HeaderList headers = Tenant()) {
    return Call(HttpCall{"PUT", std::move(target), std::move(headers), std::move(body)});
  }
  HttpResponse Delete(std::string target, HeaderList headers = Tenant()) {
    return Call(HttpCall{"DELETE", std::move(target), std::move(headers)});
  }
  HttpResponse Post(std::string target, HeaderList headers = Tenant()) {
    return Call(HttpCall{"POST", std::move(target), std::move(headers)});
  }

  TempDir dir_;
  std::unique_ptr<Subprocess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(RefstoreProcessTest, InfoAndHealthAnswerWithoutATenant) {
  HttpResponse info = Get("/", {});
  EXPECT_EQ(info.status, 200);
  EXPECT_EQ(Json(info)["status"], "ok");
  EXPECT_TRUE(Json(info)["version"].is_string());
  EXPECT_TRUE(Json(info)["performance"].is_string());
  HttpResponse live = Get("/minio/health/live", {});
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(live.body, "OK");
  HttpResponse ready = Get("/minio/health/ready", {});
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "READY");
}

TEST_F(RefstoreProcessTest, UploadThenDownloadCarriesEtagChecksumAndContentType) {
  const std::string sha256 = Sha256::Hex("hello world");
  HeaderList headers = Tenant();
  headers.emplace_back("Content-Type", "text/plain");
  HttpResponse uploaded = Put(Upload("docs/hello.txt"), "hello world", headers);
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  EXPECT_EQ(Json(uploaded),
            nlohmann::json({{"status", "uploaded"},
                            {"key", "docs/hello.txt"},
                            {"size", 11},
                            {"etag", sha256},
                            {"sha256", sha256}}));
  EXPECT_THAT(uploaded.Header("ETag"), Optional("\"" + sha256 + "\""));

  HttpResponse downloaded = Get(Download("docs/hello.txt"));
  EXPECT_EQ(downloaded.status, 200);
  EXPECT_EQ(downloaded.body, "hello world");
  EXPECT_THAT(downloaded.Header("Content-Length"), Optional(std::string("11")));
  EXPECT_THAT(downloaded.Header("Content-Type"), Optional(std::string("text/plain")));
  EXPECT_THAT(downloaded.Header("ETag"), Optional("\"" + sha256 + "\""));
  EXPECT_THAT(downloaded.Header("X-Checksum-SHA256"), Optional(sha256));
  EXPECT_THAT(downloaded.Header("Accept-Ranges"), Optional(std::string("bytes")));
}

TEST_F(RefstoreProcessTest, PostUploadsLikePut) {
  HttpResponse uploaded =
      Call(HttpCall{"POST", Upload("posted"), Tenant(), "via post"});
  EXPECT_EQ(uploaded.status, 200);
  EXPECT_EQ(Get(Download("posted")).body, "via post");
}

TEST_F(RefstoreProcessTest, HeadDownloadSendsHeadersOnly) {
  ASSERT_EQ(Put(Upload("k"), "0123456789").status, 200);
  HttpResponse head = Call(HttpCall{"HEAD", Download("k"), Tenant()});
  EXPECT_EQ(head.status, 200);
  EXPECT_THAT(head.Header("Content-Length"), Optional(std::string("10")));
  EXPECT_EQ(head.body, "");
}

TEST_F(RefstoreProcessTest, RangesAnswer206AndUnsatisfiableOnesAnswer416) {
  ASSERT_EQ(Put(Upload("k"), "0123456789").status, 200);
  struct Case {
    const char* range;
    const char* body;
    const char* content_range;
  };
  for (const Case& c : {Case{"bytes=2-5", "2345", "bytes 2-5/10"},
                        Case{"bytes=7-", "789", "bytes 7-9/10"},
                        Case{"bytes=-3", "789", "bytes 7-9/10"},
                        Case{"bytes=8-100", "89", "bytes 8-9/10"}}) {
    HeaderList headers = Tenant();
    headers.emplace_back("Range", c.range);
    HttpResponse partial = Get(Download("k"), headers);
    EXPECT_EQ(partial.status, 206) << c.range;
    EXPECT_EQ(partial.body, c.body) << c.range;
    EXPECT_THAT(partial.Header("Content-Range"), Optional(std::string(c.content_range)));
    // The checksum is always that of the whole object.
    EXPECT_THAT(partial.Header("X-Checksum-SHA256"), Optional(Sha256::Hex("0123456789")));
  }
  HeaderList beyond = Tenant();
  beyond.emplace_back("Range", "bytes=10-");
  HttpResponse unsatisfiable = Get(Download("k"), beyond);
  EXPECT_EQ(unsatisfiable.status, 416);
  EXPECT_THAT(unsatisfiable.Header("Content-Range"), Optional(std::string("bytes */10")));
  EXPECT_TRUE(Json(unsatisfiable).contains("error"));
}

TEST_F(RefstoreProcessTest, IfMatchServesTheSameVersionAndRefusesAnotherWith412) {
  HttpResponse first = Put(Upload("k"), "version one");
  const std::string first_etag = Json(first)["etag"];
  for (const std::string& if_match : {"\"" + first_etag + "\"", first_etag, std::string("*")}) {
    HeaderList headers = Tenant();
    headers.emplace_back("If-Match", if_match);
    headers.emplace_back("Range", "bytes=0-6");
    HttpResponse resumed = Get(Download("k"), headers);
    EXPECT_EQ(resumed.status, 206) << if_match;
    EXPECT_EQ(resumed.body, "version");
  }
  ASSERT_EQ(Put(Upload("k"), "version two").status, 200);
  HeaderList stale = Tenant();
  stale.emplace_back("If-Match", "\"" + first_etag + "\"");
  stale.emplace_back("Range", "bytes=8-");
  HttpResponse refused = Get(Download("k"), stale);
  EXPECT_EQ(refused.status, 412);
  EXPECT_TRUE(Json(refused).contains("error"));
}

TEST_F(RefstoreProcessTest, DeleteAnswers204AndThenTheObjectIsGone) {
  ASSERT_EQ(Put(Upload("k"), "x").status, 200);
  HttpResponse deleted = Delete(DeleteTarget("k"));
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");
  EXPECT_EQ(Get(Download("k")).status, 404);
  HttpResponse again = Delete(DeleteTarget("k"));
  EXPECT_EQ(again.status, 404);
  EXPECT_THAT(Json(again)["error"].get<std::string>(), HasSubstr("not found"));
}

TEST_F(RefstoreProcessTest, ListPaginatesAcrossPagesWithinAPrefix) {
  for (const char* key : {"p/a", "p/b", "p/c", "p/d", "p/e", "p/f", "p/g", "q/x"}) {
    ASSERT_EQ(Put(Upload(key), key).status, 200);
  }
  std::vector<std::string> keys;
  std::string start_after;
  int pages = 0;
  while (true) {
    HttpResponse page = Get("/list?prefix=p%2F&max_keys=3&start_after=" + UrlEncode(start_after));
    ASSERT_EQ(page.status, 200) << page.body;
    const nlohmann::json body = Json(page);
    ++pages;
    EXPECT_EQ(body["count"], body["objects"].size());
    for (const nlohmann::json& object : body["objects"]) {
      keys.push_back(object["key"]);
      EXPECT_EQ(object["size"], 3);
      EXPECT_EQ(object["etag"], Sha256::Hex(object["key"].get<std::string>()));
      EXPECT_EQ(object["content_type"], "application/octet-stream");
      EXPECT_THAT(object["last_modified"].get<std::string>(),
                  MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"));
    }
    if (!body["is_truncated"].get<bool>()) {
      EXPECT_FALSE(body.contains("next_start_after"));
      break;
    }
    start_after = body["next_start_after"];
    EXPECT_EQ(start_after, keys.back());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(keys, ElementsAre("p/a", "p/b", "p/c", "p/d", "p/e", "p/f", "p/g"));
  EXPECT_EQ(Json(Get("/list"))["count"], 8);
}

TEST_F(RefstoreProcessTest, MissingOrInvalidTenantKeyOrOptionGets400) {
  const std::string long_key(1025, 'k');
  struct Case {
    const char* method;
    std::string target;
    HeaderList headers;
  };
  const Case cases[] = {
      {"PUT", Upload("k"), {}},
      {"GET", Download("k"), {}},
      {"DELETE", DeleteTarget("k"), {}},
      {"GET", "/list", {}},
      {"PUT", Upload("k"), Tenant("../other")},
      {"GET", Download("k"), Tenant("a/b")},
      {"PUT", "/upload", Tenant()},
      {"GET", "/download?key=", Tenant()},
      {"PUT", Upload(long_key), Tenant()},
      {"GET", "/list?max_keys=abc", Tenant()},
      {"GET", "/list?max_keys=0", Tenant()},
      {"GET", "/list?max_keys=-1", Tenant()},
      {"PUT", Upload("k"), {{"X-Tenant-ID", kTenantA}, {"X-Checksum-SHA256", "zz"}}},
      {"PUT", Upload("k"), {{"X-Tenant-ID", kTenantA}, {"X-Checksum-CRC32C", "zz"}}},
      {"PUT", Upload("k"), {{"X-Tenant-ID", kTenantA}, {"X-Checksum-CRC32C", "e306928"}}},
      {"PUT", Upload("k"), {{"X-Tenant-ID", kTenantA}, {"X-Checksum-CRC32C", "0xe3069283"}}},
      {"PUT", Upload("k"), {{"X-Tenant-ID", kTenantA}, {"X-Checksum-CRC32C", "+3069283"}}},
  };
  for (const Case& c : cases) {
    HttpResponse response = Call(HttpCall{c.method, c.target, c.headers, "body"});
    EXPECT_EQ(response.status, 400) << c.method << " " << c.target.substr(0, 60);
    EXPECT_TRUE(Json(response).contains("error")) << response.body;
  }
  EXPECT_EQ(Json(Get("/list"))["count"], 0);
}

TEST_F(RefstoreProcessTest, UnknownRouteGets404AndWrongMethodGets405) {
  HttpResponse unknown = Get("/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(Json(unknown).contains("error"));
  HttpResponse wrong = Call(HttpCall{"DELETE", Upload("k"), Tenant()});
  EXPECT_EQ(wrong.status, 405);
  EXPECT_THAT(wrong.Header("Allow"), Optional(std::string("PUT, POST")));
  EXPECT_EQ(Call(HttpCall{"GET", DeleteTarget("k"), Tenant()}).status, 405);
}

TEST_F(RefstoreProcessTest, TenantCannotReadListOrDeleteAnotherTenantsObjects) {
  ASSERT_EQ(Put(Upload("secret"), "a's secret", Tenant(kTenantA)).status, 200);
  EXPECT_EQ(Get(Download("secret"), Tenant(kTenantB)).status, 404);
  EXPECT_EQ(Json(Get("/list", Tenant(kTenantB)))["count"], 0);
  EXPECT_EQ(Delete(DeleteTarget("secret"), Tenant(kTenantB)).status, 404);
  ASSERT_EQ(Put(Upload("secret"), "b's own", Tenant(kTenantB)).status, 200);
  EXPECT_EQ(Get(Download("secret"), Tenant(kTenantA)).body, "a's secret");
  EXPECT_EQ(Get(Download("secret"), Tenant(kTenantB)).body, "b's own");
}

TEST_F(RefstoreProcessTest, TraversalKeysAreOrdinaryKeysInsideTheDataDir) {
  const std::vector<std::string> keys = {"../../etc/passwd", "/etc/shadow", "..", ".",
                                         "a/../../../../tmp/x", std::string(1024, '/')};
  for (const std::string& key : keys) {
    ASSERT_EQ(Put(Upload(key), "payload:" + key).status, 200) << key;
  }
  for (const std::string& key : keys) {
    EXPECT_EQ(Get(Download(key)).body, "payload:" + key);
  }
  EXPECT_EQ(Json(Get("/list"))["count"], keys.size());
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = std::filesystem::relative(entry.path(), dir_.path()).string();
    if (relative == "data/LOCK") continue;
    EXPECT_THAT(relative, MatchesRegex(absl::StrCat("data/tenants/", kTenantA, "/[0-9a-f]{64}")));
  }
}

TEST_F(RefstoreProcessTest, ChunkedUploadIsStoredWhole) {
  const std::string content(3 << 20, 'c');
  size_t offset = 0;
  HttpCall call{"PUT", Upload("chunked"), Tenant()};
  call.body_source = [&](char* buffer, size_t capacity) {
    const size_t n = std::min<size_t>({capacity, 10000, content.size() - offset});
    content.copy(buffer, n, offset);
    offset += n;
    return n;
  };
  HttpResponse uploaded = Call(call);
  ASSERT_EQ(uploaded.status, 200) << uploaded.body;
  EXPECT_EQ(Json(uploaded)["size"], content.size());
  HttpResponse downloaded = Get(Download("chunked"));
  EXPECT_EQ(downloaded.body.size(), content.size());
  EXPECT_EQ(Sha256::Hex(downloaded.body), Sha256::Hex(content));
}

TEST_F(RefstoreProcessTest, ChecksumMismatchGets400AndStoresNothing) {
  HeaderList wrong = Tenant();
  wrong.emplace_back("X-Checksum-SHA256", Sha256::Hex("other bytes"));
  HttpResponse refused = Put(Upload("k"), "the bytes", wrong);
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(Json(refused)["error"].get<std::string>(), HasSubstr("SHA-256 mismatch"));
  EXPECT_EQ(Get(Download("k")).status, 404);
  EXPECT_EQ(Json(Get("/list"))["count"], 0);

  HeaderList right = Tenant();
  right.emplace_back("X-Checksum-SHA256", Sha256::Hex("the bytes"));
  EXPECT_EQ(Put(Upload("k"), "the bytes", right).status, 200);
}

TEST_F(RefstoreProcessTest, DownloadDeclaresTheWholeObjectsCrc32cOnGetHeadAndRanges) {
  ASSERT_EQ(Put(Upload("k"), "123456789").status, 200);
  ASSERT_EQ(Crc32cHeader("123456789"), "e3069283");
  HttpResponse downloaded = Get(Download("k"));
  EXPECT_EQ(downloaded.status, 200);
  EXPECT_THAT(downloaded.Header("X-Checksum-CRC32C"), Optional(std::string("e3069283")));
  HttpResponse head = Call(HttpCall{"HEAD", Download("k"), Tenant()});
  EXPECT_EQ(head.status, 200);
  EXPECT_THAT(head.Header("X-Checksum-CRC32C"), Optional(std::string("e3069283")));
  HeaderList range = Tenant();
  range.emplace_back("Range", "bytes=2-5");
  HttpResponse partial = Get(Download("k"), range);
  EXPECT_EQ(partial.status, 206);
  EXPECT_EQ(partial.body, "3456");
  EXPECT_THAT(partial.Header("X-Checksum-CRC32C"), Optional(std::string("e3069283")));

  const std::string large(300000, 'z');
  ASSERT_EQ(Put(Upload("large"), large).status, 200);
  EXPECT_THAT(Get(Download("large")).Header("X-Checksum-CRC32C"), Optional(Crc32cHeader(large)));
}

TEST_F(RefstoreProcessTest, Crc32cMismatchGets400AndStoresNothing) {
  HeaderList wrong = Tenant();
  wrong.emplace_back("X-Checksum-CRC32C", Crc32cHeader("other bytes"));
  HttpResponse refused = Put(Upload("k"), "the bytes", wrong);
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(Json(refused)["error"].get<std::string>(), HasSubstr("CRC32C mismatch"));
  EXPECT_EQ(Get(Download("k")).status, 404);
  EXPECT_EQ(Json(Get("/list"))["count"], 0);

  HeaderList right = Tenant();
  right.emplace_back("X-Checksum-CRC32C", absl::AsciiStrToUpper(Crc32cHeader("the bytes")));
  EXPECT_EQ(Put(Upload("k"), "the bytes", right).status, 200);
  EXPECT_THAT(Get(Download("k")).Header("X-Checksum-CRC32C"), Optional(Crc32cHeader("the bytes")));
}

TEST_F(RefstoreProcessTest, ObjectStoredBeforeCrc32csDownloadsWithoutOne) {
  ASSERT_TRUE(server_->Stop(SIGTERM).ok());
  // An object file as an older refstore wrote it (object_file_test pins the format).
  const std::string bytes = "from an older refstore";
  ObjectInfo old;
  old.key = "old";
  old.size = bytes.size();
  old.sha256 = Sha256::Hex(bytes);
  old.content_type = "text/plain";
  old.last_modified = absl::Now();
  const std::string tenant_dir = absl::StrCat(dir_.Sub("data"), "/tenants/", kTenantA);
  std::filesystem::create_directories(tenant_dir);
  std::ofstream(tenant_dir + "/" + Sha256::Hex("old"), std::ios::binary)
      << bytes << EncodeObjectTrailer(old);
  Start();

  HttpResponse downloaded = Get(Download("old"));
  EXPECT_EQ(downloaded.status, 200);
  EXPECT_EQ(downloaded.body, bytes);
  EXPECT_THAT(downloaded.Header("X-Checksum-SHA256"), Optional(Sha256::Hex(bytes)));
  EXPECT_EQ(downloaded.Header("X-Checksum-CRC32C"), std::nullopt);
}

TEST_F(RefstoreProcessTest, QuotaExceededGets403AndOversizeGets413) {
  Start({"--quota_bytes=100", "--max_object_bytes=60"});
  HttpResponse too_large = Put(Upload("big"), std::string(61, 'x'));
  EXPECT_EQ(too_large.status, 413);
  ASSERT_EQ(Put(Upload("first"), std::string(60, 'x')).status, 200);
  HttpResponse over_quota = Put(Upload("second"), std::string(50, 'x'));
  EXPECT_EQ(over_quota.status, 403);
  EXPECT_THAT(over_quota.body, HasSubstr("Quota exceeded"));
  // Quotas are per tenant.
  EXPECT_EQ(Put(Upload("second"), std::string(50, 'x'), Tenant(kTenantB)).status, 200);

  const std::string chunked_body(70, 'y');
  size_t offset = 0;
  // A fresh tenant, so that the size limit, not the quota, is what the stream hits.
  HttpCall chunked{"PUT", Upload("chunked"), Tenant("tenant-c")};
  chunked.body_source = [&](char* buffer, size_t capacity) {
    const size_t n = std::min<size_t>({capacity, 7, chunked_body.size() - offset});
    chunked_body.copy(buffer, n, offset);
    offset += n;
    return n;
  };
  EXPECT_EQ(Call(chunked).status, 413);
  EXPECT_EQ(Get(Download("big")).status, 404);
  EXPECT_EQ(Get(Download("chunked"), Tenant("tenant-c")).status, 404);
}

TEST_F(RefstoreProcessTest, ConcurrentWritersToOneKeyLeaveReadersOneWholeVersion) {
  constexpr size_t kObjectBytes = 200000;
  ASSERT_EQ(Put(Upload("hot"), std::string(kObjectBytes, 'a')).status, 200);
  std::atomic<bool> writing{true};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (writing) {
        absl::StatusOr<HttpResponse> read = client_->Get(Download("hot"), Tenant());
        if (!read.ok() || read->status != 200) {
          ++torn;
          continue;
        }
        const std::string& body = read->body;
        const bool whole = body.size() == kObjectBytes &&
                           body.find_first_not_of(body[0]) == std::string::npos &&
                           read->Header("X-Checksum-SHA256") == Sha256::Hex(body);
        if (!whole) ++torn;
        ++reads;
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 10; ++i) {
        absl::StatusOr<HttpResponse> written = client_->Put(
            Upload("hot"), std::string(kObjectBytes, static_cast<char>('b' + w)), Tenant());
        EXPECT_TRUE(written.ok() && written->status == 200);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  writing = false;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(torn, 0);
  EXPECT_GT(reads, 0);
  EXPECT_EQ(Json(Get("/list"))["count"], 1);
}

TEST_F(RefstoreProcessTest, InfoDeclaresConditionalWritesMultipartUploadsAndUploadChecksums) {
  EXPECT_EQ(Json(Get("/", {}))["capabilities"],
            nlohmann::json::array({"conditional_writes", "multipart_uploads", "upload_checksums"}));
}

TEST_F(RefstoreProcessTest, WithoutUploadChecksumsDeclaredUploadsAreStillCheckedAndReported) {
  Start({"--upload_checksums=false"});
  EXPECT_EQ(Json(Get("/", {}))["capabilities"],
            nlohmann::json::array({"conditional_writes", "multipart_uploads"}));
  HeaderList wrong = Tenant();
  wrong.emplace_back("X-Checksum-SHA256", Sha256::Hex("other bytes"));
  EXPECT_EQ(Put(Upload("k"), "the bytes", wrong).status, 400);
  const HttpResponse stored = Put(Upload("k"), "the bytes", Tenant());
  EXPECT_EQ(Json(stored)["sha256"], Sha256::Hex("the bytes"));
}

TEST_F(RefstoreProcessTest, CreateOnlyUploadGets412WhenTheKeyExists) {
  HeaderList create_only = Tenant();
  create_only.emplace_back("If-None-Match", "*");
  ASSERT_EQ(Put(Upload("once"), "first", create_only).status, 200);
  HttpResponse refused = Put(Upload("once"), "second", create_only);
  EXPECT_EQ(refused.status, 412);
  EXPECT_THAT(Json(refused)["error"].get<std::string>(), HasSubstr("once already exists"));
  HttpResponse posted = Call(HttpCall{"POST", Upload("once"), create_only, "third"});
  EXPECT_EQ(posted.status, 412);
  EXPECT_EQ(Get(Download("once")).body, "first");
}

TEST_F(RefstoreProcessTest, IfMatchUploadReplacesTheNamedVersionAndOtherwiseGets412) {
  HeaderList any = Tenant();
  any.emplace_back("If-Match", "*");
  EXPECT_EQ(Put(Upload("k"), "never", any).status, 412);
  EXPECT_EQ(Get(Download("k")).status, 404);

  const std::string first_etag = Json(Put(Upload("k"), "v1"))["etag"];
  HeaderList stale = Tenant();
  stale.emplace_back("If-Match", "\"" + Sha256::Hex("v0") + "\"");
  HttpResponse refused = Put(Upload("k"), "v2", stale);
  EXPECT_EQ(refused.status, 412);
  EXPECT_TRUE(Json(refused).contains("error"));
  EXPECT_EQ(Get(Download("k")).body, "v1");

  HeaderList current = Tenant();
  current.emplace_back("If-Match", "\"" + first_etag + "\"");
  EXPECT_EQ(Put(Upload("k"), "v2", current).status, 200);
  EXPECT_EQ(Get(Download("k")).body, "v2");
}

TEST_F(RefstoreProcessTest, IfNoneMatchOtherThanStarGets400AndStoresNothing) {
  for (const char* value : {"\"abc\"", "abc", "*, \"abc\""}) {
    HeaderList headers = Tenant();
    headers.emplace_back("If-None-Match", value);
    HttpResponse refused = Put(Upload("k"), "bytes", headers);
    EXPECT_EQ(refused.status, 400) << value;
    EXPECT_TRUE(Json(refused).contains("error")) << refused.body;
  }
  EXPECT_EQ(Get(Download("k")).status, 404);
}

TEST_F(RefstoreProcessTest, IfMatchDeleteAnswers204WhenMatchedAnd412Otherwise) {
  const std::string etag = Json(Put(Upload("k"), "v1"))["etag"];
  HeaderList stale = Tenant();
  stale.emplace_back("If-Match", "\"" + Sha256::Hex("v0") + "\"");
  HttpResponse refused = Delete(DeleteTarget("k"), stale);
  EXPECT_EQ(refused.status, 412);
  EXPECT_TRUE(Json(refused).contains("error"));
  EXPECT_EQ(Get(Download("k")).body, "v1");

  HeaderList current = Tenant();
  current.emplace_back("If-Match", "\"" + etag + "\"");
  HttpResponse deleted = Delete(DeleteTarget("k"), current);
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(Get(Download("k")).status, 404);
  EXPECT_EQ(Delete(DeleteTarget("k"), current).status, 404);
}

TEST_F(RefstoreProcessTest, WithoutConditionalWritesItIsNotDeclaredAndTheHeadersAreIgnored) {
  Start({"--conditional_writes=false"});
  const nlohmann::json info = Json(Get("/", {}));
  EXPECT_EQ(info["status"], "ok");
  EXPECT_EQ(info["capabilities"], nlohmann::json::array({"multipart_uploads", "upload_checksums"}))
      << info.dump();

  HeaderList create_only = Tenant();
  create_only.emplace_back("If-None-Match", "*");
  ASSERT_EQ(Put(Upload("k"), "first", create_only).status, 200);
  EXPECT_EQ(Put(Upload("k"), "second", create_only).status, 200);
  EXPECT_EQ(Get(Download("k")).body, "second");
  HeaderList bad_if_none_match = Tenant();
  bad_if_none_match.emplace_back("If-None-Match", "\"abc\"");
  EXPECT_EQ(Put(Upload("k"), "third", bad_if_none_match).status, 200);
  HeaderList stale = Tenant();
  stale.emplace_back("If-Match", "\"" + Sha256::Hex("v0") + "\"");
  EXPECT_EQ(Put(Upload("k"), "fourth", stale).status, 200);
  EXPECT_EQ(Get(Download("k")).body, "fourth");
  EXPECT_EQ(Delete(DeleteTarget("k"), stale).status, 204);
  EXPECT_EQ(Get(Download("k")).status, 404);
  // Multipart uploads ignore them too.
  ASSERT_EQ(Put(Upload("k"), "existing").status, 200);
  HeaderList conditions = create_only;
  conditions.emplace_back("If-Match", "\"" + Sha256::Hex("v0") + "\"");
  HttpResponse started = Post(Uploads("k"), conditions);
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string id = Json(started)["upload_id"];
  EXPECT_EQ(Post(Uploads("k"), bad_if_none_match).status, 200);
  ASSERT_EQ(Put(Part("k", id, 1), "replaced").status, 200);
  EXPECT_EQ(Post(UploadRoute("/complete", "k", id)).status, 200);
  EXPECT_EQ(Get(Download("k")).body, "replaced");
}

TEST_F(RefstoreProcessTest, MetricsCountRequestsByRouteAndStatus) {
  ASSERT_EQ(Put(Upload("k"), "12345").status, 200);
  ASSERT_EQ(Get(Download("missing")).status, 404);
  // A request is counted once its handler returns, which can be just after the client has
  // its whole answer: ask until the last one shows, then check everything.
  HttpResponse metrics;
  for (const absl::Time give_up = absl::Now() + absl::Seconds(5); absl::Now() < give_up;) {
    metrics = Get("/metrics", {});
    if (absl::StrContains(metrics.body, "route=\"download\",status=\"404\"")) break;
  }
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("refstore_http_requests_total{route=\"upload\",status=\"200\"} 1\n"));
  EXPECT_THAT(metrics.body, HasSubstr("refstore_http_requests_total{route=\"download\",status=\"404\"} 1\n"));
  EXPECT_THAT(metrics.body, HasSubstr("refstore_http_received_body_bytes_total 5\n"));
  EXPECT_THAT(metrics.body, HasSubstr("refstore_objects 1\n"));
  EXPECT_THAT(metrics.body, HasSubstr("refstore_stored_bytes 5\n"));
}

TEST_F(RefstoreProcessTest, SigtermStopsCleanlyAndObjectsSurviveARestart) {
  ASSERT_EQ(Put(Upload("durable"), "still here").status, 200);
  absl::StatusOr<int> status = server_->Stop(SIGTERM);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);

  Start();
  EXPECT_EQ(Get(Download("durable")).body, "still here");
}

TEST_F(RefstoreProcessTest, MultipartUploadAssemblesPartsAndAnswersLikeAnUpload) {
  HeaderList start_headers = Tenant();
  start_headers.emplace_back("Content-Type", "text/csv");
  const std::string one(100000, '1'), two = "two, and the end";
  start_headers.emplace_back("X-Checksum-SHA256", Sha256::Hex(one + two));
  start_headers.emplace_back("X-Checksum-CRC32C", Crc32cHeader(one + two));
  HttpResponse started = Post(Uploads("data/big.csv"), start_headers);
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string id = Json(started)["upload_id"];
  EXPECT_THAT(id, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(Json(started)["key"], "data/big.csv");

  HttpResponse second = Put(Part("data/big.csv", id, 2), two);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(Json(second), nlohmann::json({{"part_number", 2},
                                          {"size", two.size()},
                                          {"etag", Sha256::Hex(two)}}));
  EXPECT_THAT(second.Header("ETag"), Optional("\"" + Sha256::Hex(two) + "\""));
  // Part 1 goes chunked, with its own checksum.
  size_t offset = 0;
  HttpCall chunked{"PUT", Part("data/big.csv", id, 1), Tenant()};
  chunked.headers.emplace_back("X-Checksum-SHA256", Sha256::Hex(one));
  chunked.headers.emplace_back("X-Checksum-CRC32C", Crc32cHeader(one));
  chunked.body_source = [&](char* buffer, size_t capacity) {
    const size_t n = std::min<size_t>({capacity, 7000, one.size() - offset});
    one.copy(buffer, n, offset);
    offset += n;
    return n;
  };
  HttpResponse first = Call(chunked);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Json(first)["size"], one.size());

  HttpResponse listed = Get(UploadRoute("/parts", "data/big.csv", id));
  ASSERT_EQ(listed.status, 200) << listed.body;
  const nlohmann::json parts = nlohmann::json::array(
      {{{"part_number", 1}, {"size", one.size()}, {"etag", Sha256::Hex(one)}},
       {{"part_number", 2}, {"size", two.size()}, {"etag", Sha256::Hex(two)}}});
  EXPECT_EQ(Json(listed), nlohmann::json({{"key", "data/big.csv"},
                                          {"upload_id", id},
                                          {"parts", parts},
                                          {"complete", false}}));
  EXPECT_EQ(Get(Download("data/big.csv")).status, 404);

  const std::string sha256 = Sha256::Hex(one + two);
  const nlohmann::json uploaded = {{"status", "uploaded"},
                                   {"key", "data/big.csv"},
                                   {"size", one.size() + two.size()},
                                   {"etag", sha256},
                                   {"sha256", sha256}};
  HttpResponse completed = Post(UploadRoute("/complete", "data/big.csv", id));
  ASSERT_EQ(completed.status, 200) << completed.body;
  EXPECT_EQ(Json(completed), uploaded);
  EXPECT_THAT(completed.Header("ETag"), Optional("\"" + sha256 + "\""));
  HttpResponse downloaded = Get(Download("data/big.csv"));
  EXPECT_EQ(downloaded.body, one + two);
  EXPECT_THAT(downloaded.Header("Content-Type"), Optional(std::string("text/csv")));
  EXPECT_THAT(downloaded.Header("X-Checksum-CRC32C"), Optional(Crc32cHeader(one + two)));

  // The outcome stays known: listing it, and completing it again, which writes nothing.
  EXPECT_EQ(Json(Get(UploadRoute("/parts", "data/big.csv", id))),
            nlohmann::json({{"key", "data/big.csv"},
                            {"upload_id", id},
                            {"parts", nlohmann::json::array()},
                            {"complete", true},
                            {"size", one.size() + two.size()},
                            {"etag", sha256},
                            {"sha256", sha256}}));
  HttpResponse again = Post(UploadRoute("/complete", "data/big.csv", id));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Json(again), uploaded);
  HttpResponse aborted = Delete(UploadRoute("", "data/big.csv", id));
  EXPECT_EQ(aborted.status, 409);
  EXPECT_EQ(Json(aborted)["error"], absl::StrCat("upload ", id, " is complete"));
  EXPECT_EQ(Put(Part("data/big.csv", id, 3), "late").status, 409);
  EXPECT_EQ(Json(Get("/list"))["count"], 1);
}

TEST_F(RefstoreProcessTest, MultipartRoutesRefuseBadRequestsWith400) {
  const std::string id = Json(Post(Uploads("k")))["upload_id"];
  struct Case {
    const char* method;
    std::string target;
    HeaderList headers;
  };
  const std::string no_id = "/uploads/parts?key=k";
  const Case cases[] = {
      {"POST", Uploads("k"), {}},
      {"POST", "/uploads", Tenant()},
      {"PUT", Part("k", id, 1), {}},
      {"PUT", "/uploads/part?upload_id=" + id + "&part_number=1", Tenant()},
      {"PUT", "/uploads/part?key=k&part_number=1", Tenant()},
      {"PUT", UploadRoute("/part", "k", id), Tenant()},
      {"PUT", Part("k", id, 0), Tenant()},
      {"PUT", Part("k", id, 10001), Tenant()},
      {"PUT", UploadRoute("/part", "k", id) + "&part_number=abc", Tenant()},
      {"PUT", Part("k", id, 1), {{"X-Tenant-ID", kTenantA}, {"X-Checksum-SHA256", "zz"}}},
      {"PUT",
       Part("k", id, 1),
       {{"X-Tenant-ID", kTenantA}, {"X-Checksum-SHA256", Sha256::Hex("other")}}},
      {"PUT", Part("k", id, 1), {{"X-Tenant-ID", kTenantA}, {"X-Checksum-CRC32C", "zz"}}},
      {"PUT",
       Part("k", id, 1),
       {{"X-Tenant-ID", kTenantA}, {"X-Checksum-CRC32C", Crc32cHeader("other")}}},
      {"GET", UploadRoute("/parts", "k", id), {}},
      {"GET", no_id, Tenant()},
      {"POST", UploadRoute("/complete", "k", id), {}},
      {"POST", "/uploads/complete?upload_id=" + id, Tenant()},
      {"DELETE", UploadRoute("", "k", id), {}},
      {"DELETE", Uploads("k"), Tenant()},
      {"POST", Uploads("k"), {{"X-Tenant-ID", kTenantA}, {"If-None-Match", "\"abc\""}}},
      {"POST", Uploads("k"), {{"X-Tenant-ID", kTenantA}, {"X-Checksum-SHA256", "zz"}}},
      {"POST", Uploads("k"), {{"X-Tenant-ID", kTenantA}, {"X-Checksum-CRC32C", "zz"}}},
  };
  for (const Case& c : cases) {
    HttpResponse response = Call(HttpCall{c.method, c.target, c.headers, "body"});
    EXPECT_EQ(response.status, 400) << c.method << " " << c.target;
    EXPECT_TRUE(Json(response).contains("error")) << response.body;
  }
  // None of the refused parts was stored.
  EXPECT_EQ(Json(Get(UploadRoute("/parts", "k", id)))["parts"], nlohmann::json::array());

  HttpResponse wrong_method = Get(Uploads("k"));
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_THAT(wrong_method.Header("Allow"), Optional(std::string("POST, DELETE")));
}

TEST_F(RefstoreProcessTest, MultipartUploadIsInvisibleToOtherTenantsAndKeys) {
  const std::string id = Json(Post(Uploads("mine")))["upload_id"];
  ASSERT_EQ(Put(Part("mine", id, 1), "a's bytes").status, 200);
  const std::string unknown(32, '0');
  for (const auto& [tenant, key, upload_id] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {kTenantB, "mine", id}, {kTenantA, "other", id}, {kTenantA, "mine", unknown}}) {
    HttpResponse listed = Get(UploadRoute("/parts", key, upload_id), Tenant(tenant));
    EXPECT_EQ(listed.status, 404);
    EXPECT_THAT(Json(listed)["error"].get<std::string>(), HasSubstr("no such upload"));
    EXPECT_EQ(Put(Part(key, upload_id, 1), "x", Tenant(tenant)).status, 404);
    EXPECT_EQ(Post(UploadRoute("/complete", key, upload_id), Tenant(tenant)).status, 404);
    EXPECT_EQ(Delete(UploadRoute("", key, upload_id), Tenant(tenant)).status, 404);
  }
  EXPECT_EQ(Post(UploadRoute("/complete", "mine", id)).status, 200);
  EXPECT_EQ(Get(Download("mine"), Tenant(kTenantB)).status, 404);
  EXPECT_EQ(Get(Download("mine")).body, "a's bytes");
}

TEST_F(RefstoreProcessTest, MultipartCompletionRefusalsKeepTheUpload) {
  // A part missing.
  const std::string gap = Json(Post(Uploads("k")))["upload_id"];
  ASSERT_EQ(Put(Part("k", gap, 2), "b").status, 200);
  HttpResponse refused = Post(UploadRoute("/complete", "k", gap));
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(Json(refused)["error"].get<std::string>(), HasSubstr("no part 1"));

  // The declared checksum not met.
  HeaderList declared = Tenant();
  declared.emplace_back("X-Checksum-SHA256", Sha256::Hex("expected"));
  const std::string wrong = Json(Post(Uploads("k"), declared))["upload_id"];
  ASSERT_EQ(Put(Part("k", wrong, 1), "received").status, 200);
  HttpResponse mismatch = Post(UploadRoute("/complete", "k", wrong));
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_THAT(Json(mismatch)["error"].get<std::string>(), HasSubstr("SHA-256 mismatch"));
  EXPECT_EQ(Json(Get(UploadRoute("/parts", "k", wrong)))["parts"].size(), 1u);

  // A condition no longer met when the upload completes.
  HeaderList create_only = Tenant();
  create_only.emplace_back("If-None-Match", "*");
  const std::string once = Json(Post(Uploads("k"), create_only))["upload_id"];
  ASSERT_EQ(Put(Part("k", once, 1), "mine").status, 200);
  ASSERT_EQ(Put(Upload("k"), "theirs").status, 200);
  HttpResponse taken = Post(UploadRoute("/complete", "k", once));
  EXPECT_EQ(taken.status, 412);
  EXPECT_THAT(Json(taken)["error"].get<std::string>(), HasSubstr("already exists"));
  EXPECT_EQ(Get(Download("k")).body, "theirs");
  EXPECT_EQ(Json(Get(UploadRoute("/parts", "k", once)))["complete"], false);

  // Each is still there to abort, once.
  for (const std::string& id : {gap, wrong, once}) {
    HttpResponse aborted = Delete(UploadRoute("", "k", id));
    EXPECT_EQ(aborted.status, 204);
    EXPECT_EQ(aborted.body, "");
    EXPECT_EQ(Delete(UploadRoute("", "k", id)).status, 404);
    EXPECT_EQ(Get(UploadRoute("/parts", "k", id)).status, 404);
  }
}

TEST_F(RefstoreProcessTest, MultipartPartsAreLimitedBySizeAndObjectsByQuotaToo) {
  Start({"--quota_bytes=100", "--max_object_bytes=60"});
  const std::string id = Json(Post(Uploads("k")))["upload_id"];
  EXPECT_EQ(Put(Part("k", id, 1), std::string(61, 'x')).status, 413);
  ASSERT_EQ(Put(Part("k", id, 1), std::string(40, 'x')).status, 200);
  ASSERT_EQ(Put(Part("k", id, 2), std::string(40, 'x')).status, 200);
  EXPECT_EQ(Post(UploadRoute("/complete", "k", id)).status, 413);

  ASSERT_EQ(Put(Upload("first"), std::string(60, 'x')).status, 200);
  const std::string over = Json(Post(Uploads("second")))["upload_id"];
  ASSERT_EQ(Put(Part("second", over, 1), std::string(50, 'x')).status, 200);
  HttpResponse quota = Post(UploadRoute("/complete", "second", over));
  EXPECT_EQ(quota.status, 403);
  EXPECT_THAT(quota.body, HasSubstr("Quota exceeded"));
  EXPECT_EQ(Get(Download("second")).status, 404);
}

TEST_F(RefstoreProcessTest, MultipartUploadContinuesAfterARestartAndExpires) {
  const std::string id = Json(Post(Uploads("k")))["upload_id"];
  ASSERT_EQ(Put(Part("k", id, 1), "before ").status, 200);
  ASSERT_TRUE(server_->Stop(SIGTERM).ok());
  Start();
  ASSERT_EQ(Put(Part("k", id, 2), "and after").status, 200);
  ASSERT_EQ(Post(UploadRoute("/complete", "k", id)).status, 200);
  EXPECT_EQ(Get(Download("k")).body, "before and after");

  Start({"--upload_expiry=2s"});
  const std::string idle = Json(Post(Uploads("idle")))["upload_id"];
  ASSERT_EQ(Get(UploadRoute("/parts", "idle", idle)).status, 200);
  absl::SleepFor(absl::Milliseconds(2500));
  EXPECT_EQ(Get(UploadRoute("/parts", "idle", idle)).status, 404);
  EXPECT_EQ(Get(UploadRoute("/parts", "k", id)).status, 404);
}

TEST_F(RefstoreProcessTest, WithoutMultipartUploadsTheRoutesAnswer404) {
  Start({"--multipart_uploads=false"});
  EXPECT_EQ(Json(Get("/", {}))["capabilities"],
            nlohmann::json::array({"conditional_writes", "upload_checksums"}));
  const std::string id(32, 'a');
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"POST", Uploads("k")},
           {"DELETE", UploadRoute("", "k", id)},
           {"GET", Uploads("k")},
           {"PUT", Part("k", id, 1)},
           {"GET", UploadRoute("/parts", "k", id)},
           {"POST", UploadRoute("/complete", "k", id)}}) {
    HttpResponse response = Call(HttpCall{method, target, Tenant(), ""});
    EXPECT_EQ(response.status, 404) << method << " " << target;
    EXPECT_THAT(Json(response)["error"].get<std::string>(), HasSubstr("no route"));
  }
  Start({"--multipart_uploads=false", "--conditional_writes=false", "--upload_checksums=false"});
  EXPECT_FALSE(Json(Get("/", {})).contains("capabilities"));
}

TEST(RefstoreEnvironmentTest, EnvironmentVariablesStandInForFlags) {
  TempDir dir;
  test_support::SubprocessOptions options;
  options.binary = "tools/refstore/refstore";
  options.env = {{"REFSTORE_LISTEN", "127.0.0.1:0"},
                 {"REFSTORE_DATA_DIR", dir.Sub("from-env")},
                 {"REFSTORE_MAX_OBJECT_BYTES", "3"},
                 {"REFSTORE_CONDITIONAL_WRITES", "false"},
                 {"REFSTORE_MULTIPART_UPLOADS", "false"},
                 {"REFSTORE_UPLOAD_CHECKSUMS", "false"}};
  absl::StatusOr<std::unique_ptr<Subprocess>> server = Subprocess::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  HttpClient client((*server)->address());
  EXPECT_EQ(client.Put(Upload("k"), "1234", Tenant())->status, 413);
  EXPECT_FALSE(Json(*client.Get("/", {})).contains("capabilities"));
  EXPECT_EQ(client.Perform(HttpCall{"POST", Uploads("k"), Tenant()})->status, 404);
  EXPECT_TRUE(std::filesystem::is_directory(dir.Sub("from-env/tenants")));
}

}  // namespace
}  // namespace objgate::refstore
