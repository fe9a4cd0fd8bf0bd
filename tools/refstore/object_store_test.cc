#include "tools/refstore/object_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crc32c.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tools/refstore/object_file.h"

namespace objgate::refstore {
namespace {

using ::objgate::test_support::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Serves a string in pieces of at most `piece` bytes, optionally breaking after `fail_after`.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data, size_t piece = 1000,
                        std::optional<size_t> fail_after = std::nullopt)
      : data_(std::move(data)), piece_(piece), fail_after_(fail_after) {}

  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    if (fail_after_.has_value() && offset_ >= *fail_after_) {
      return absl::UnavailableError("client went away");
    }
    const size_t n = std::min({buffer.size(), piece_, data_.size() - offset_});
    data_.copy(buffer.data(), n, offset_);
    offset_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t piece_;
  std::optional<size_t> fail_after_;
  size_t offset_ = 0;
};

std::string ReadWhole(const ObjectReader& reader) {
  std::string bytes;
  char buffer[777];
  while (true) {
    absl::StatusOr<size_t> got = reader.ReadAt(bytes.size(), buffer, sizeof(buffer));
    if (!got.ok() || *got == 0) return bytes;
    bytes.append(buffer, *got);
  }
}

std::vector<std::string> Keys(const ListResult& result) {
  std::vector<std::string> keys;
  for (const ObjectInfo& info : result.objects) keys.push_back(info.key);
  return keys;
}

std::vector<int> PartNumbers(const UploadListing& listing) {
  std::vector<int> numbers;
  for (const PartInfo& part : listing.parts) numbers.push_back(part.part_number);
  return numbers;
}

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files.push_back(std::filesystem::relative(entry.path(), dir).string());
    }
  }
  return files;
}

class ObjectStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ObjectStore> OpenStore(uint64_t quota_bytes = 0,
                                         uint64_t max_object_bytes = 0) {
    return OpenStoreWithExpiry(absl::Hours(24), quota_bytes, max_object_bytes);
  }

  std::unique_ptr<ObjectStore> OpenStoreWithExpiry(absl::Duration upload_expiry,
                                                   uint64_t quota_bytes = 0,
                                                   uint64_t max_object_bytes = 0) {
    ObjectStoreOptions options;
    options.data_dir = data_dir_;
    options.quota_bytes = quota_bytes;
    options.max_object_bytes = max_object_bytes;
    options.upload_expiry = upload_expiry;
    options.clock = [this] { return now_; };
    absl::StatusOr<std::unique_ptr<ObjectStore>> store = ObjectStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  absl::StatusOr<ObjectInfo> Put(ObjectStore& store, absl::string_view tenant,
                                 absl::string_view key, std::string bytes,
                                 PutOptions options = {}) {
    StringSource source(std::move(bytes));
    return store.Put(tenant, key, source, options);
  }

  std::string Download(const ObjectStore& store, absl::string_view tenant,
                       absl::string_view key) {
    absl::StatusOr<ObjectReader> reader = store.Get(tenant, key);
    return reader.ok() ? ReadWhole(*reader) : absl::StrCat("<", reader.status().ToString(), ">");
  }

  absl::StatusOr<PartInfo> PutPart(ObjectStore& store, absl::string_view tenant,
                                   absl::string_view key, absl::string_view upload_id,
                                   int part_number, std::string bytes,
                                   PartOptions options = {}) {
    StringSource source(std::move(bytes));
    return store.PutPart(tenant, key, upload_id, part_number, source, options);
  }

  // Starts an upload of `key` and sends `parts` as parts 1, 2, ...
  std::string StartWithParts(ObjectStore& store, absl::string_view tenant, absl::string_view key,
                             const std::vector<std::string>& parts,
                             const StartUploadOptions& options = {}) {
    absl::StatusOr<std::string> id = store.StartUpload(tenant, key, options);
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return "";
    for (size_t i = 0; i < parts.size(); ++i) {
      absl::Status put = PutPart(store, tenant, key, *id, i + 1, parts[i]).status();
      EXPECT_TRUE(put.ok()) << put;
    }
    return *id;
  }

  TempDir root_;
  const std::string data_dir_ = root_.Sub("data");
  absl::Time now_ = absl::FromUnixSeconds(1700000000) + absl::Microseconds(123456);
};

TEST_F(ObjectStoreTest, PutThenGetReturnsTheBytesAndTheirMetadata) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  PutOptions options;
  options.content_type = "text/plain";
  absl::StatusOr<ObjectInfo> put = Put(*store, "t1", "greeting", "hello world", options);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->size, 11u);
  EXPECT_EQ(put->sha256, Sha256::Hex("hello world"));

  absl::StatusOr<ObjectReader> reader = store->Get("t1", "greeting");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadWhole(*reader), "hello world");
  EXPECT_EQ(reader->info().content_type, "text/plain");
  EXPECT_EQ(reader->info().last_modified, now_);
  EXPECT_EQ(reader->info().sha256, put->sha256);
}

TEST_F(ObjectStoreTest, EmptyObjectIsStoredAndRead) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  ASSERT_TRUE(Put(*store, "t1", "empty", "").ok());
  EXPECT_EQ(Download(*store, "t1", "empty"), "");
}

TEST_F(ObjectStoreTest, OpenReaderKeepsItsVersionThroughReplaceAndDelete) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  ASSERT_TRUE(Put(*store, "t1", "k", std::string(100000, 'a')).ok());
  absl::StatusOr<ObjectReader> old_version = store->Get("t1", "k");
  ASSERT_TRUE(old_version.ok());

  ASSERT_TRUE(Put(*store, "t1", "k", std::string(5000, 'b')).ok());
  EXPECT_EQ(Download(*store, "t1", "k"), std::string(5000, 'b'));
  ASSERT_TRUE(store->Delete("t1", "k").ok());

  EXPECT_EQ(ReadWhole(*old_version), std::string(100000, 'a'));
  EXPECT_EQ(store->Get("t1", "k").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ObjectStoreTest, TenantsAreSeparateNamespaces) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  ASSERT_TRUE(Put(*store, "tenant-a", "shared/name", "a's bytes").ok());
  ASSERT_TRUE(Put(*store, "tenant-b", "shared/name", "b's bytes").ok());
  ASSERT_TRUE(Put(*store, "tenant-a", "only-a", "x").ok());

  EXPECT_EQ(Download(*store, "tenant-a", "shared/name"), "a's bytes");
  EXPECT_EQ(Download(*store, "tenant-b", "shared/name"), "b's bytes");
  EXPECT_EQ(store->Get("tenant-b", "only-a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Delete("tenant-b", "only-a").code(), absl::StatusCode::kNotFound);
  absl::StatusOr<ListResult> listed = store->List("tenant-b", {});
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(Keys(*listed), ElementsAre("shared/name"));
  EXPECT_EQ(store->List("tenant-c", {})->objects.size(), 0u);
}

TEST_F(ObjectStoreTest, PathLikeKeysAreOrdinaryKeysThatStayInsideTheDataDir) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  const std::vector<std::string> keys = {
      "../../etc/passwd", "/etc/passwd", "a/../../../b", ".", "..", "./",
      std::string(1024, '/'), "line\nbreak", std::string(1024, '.')};
  for (const std::string& key : keys) {
    ASSERT_TRUE(Put(*store, "t1", key, "content of " + key).ok()) << key;
  }
  for (const std::string& key : keys) {
    EXPECT_EQ(Download(*store, "t1", key), "content of " + key);
  }
  EXPECT_EQ(store->List("t1", {})->objects.size(), keys.size());
  // Every file the store made sits in the tenant's directory under a hash name.
  for (const std::string& file : FilesUnder(root_.path())) {
    if (file == "data/LOCK") continue;
    EXPECT_THAT(file, ::testing::MatchesRegex("data/tenants/t1/[0-9a-f]{64}"));
  }
}

TEST_F(ObjectStoreTest, InvalidTenantsKeysAndOptionsAreRefused) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  EXPECT_EQ(Put(*store, "../t", "k", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Put(*store, "", "k", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Put(*store, "t", "", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Put(*store, "t", std::string(1025, 'k'), "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Get("t/..", "k").status().code(), absl::StatusCode::kInvalidArgument);
  PutOptions bad_checksum;
  bad_checksum.expected_sha256 = "not-hex";
  EXPECT_EQ(Put(*store, "t", "k", "x", bad_checksum).status().code(),
            absl::StatusCode::kInvalidArgument);
  ListOptions zero_keys;
  zero_keys.max_keys = 0;
  EXPECT_EQ(store->List("t", zero_keys).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ObjectStoreTest, ListPaginatesInKeyOrderWithinThePrefix) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(Put(*store, "t1", absl::StrFormat("logs/%02d", i), "x").ok());
  }
  ASSERT_TRUE(Put(*store, "t1", "logt", "x").ok());
  ASSERT_TRUE(Put(*store, "t1", "a-before", "x").ok());

  ListOptions options;
  options.prefix = "logs/";
  options.max_keys = 10;
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    absl::StatusOr<ListResult> page = store->List("t1", options);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (const std::string& key : Keys(*page)) seen.push_back(key);
    if (!page->is_truncated) break;
    options.start_after = page->objects.back().key;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "logs/00");
  EXPECT_EQ(seen.back(), "logs/24");
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  ListOptions exact_page;
  exact_page.prefix = "logs/";
  exact_page.max_keys = 25;
  EXPECT_FALSE(store->List("t1", exact_page)->is_truncated);
  ListOptions cursor_before_prefix;
  cursor_before_prefix.prefix = "logs/";
  cursor_before_prefix.start_after = "a";
  cursor_before_prefix.max_keys = 1;
  EXPECT_THAT(Keys(*store->List("t1", cursor_before_prefix)), ElementsAre("logs/00"));
}

TEST_F(ObjectStoreTest, QuotaRefusesUploadsBeyondItWhetherDeclaredOrStreamed) {
  std::unique_ptr<ObjectStore> store = OpenStore(/*quota_bytes=*/10);
  ASSERT_TRUE(Put(*store, "t1", "six", "123456").ok());

  PutOptions declared;
  declared.declared_size = 5;
  absl::Status refused = Put(*store, "t1", "five", "12345", declared).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("Quota exceeded"));
  EXPECT_EQ(Put(*store, "t1", "five", "12345").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store->Get("t1", "five").status().code(), absl::StatusCode::kNotFound);

  // Replacing an object frees its old bytes, and each tenant has its own quota.
  EXPECT_TRUE(Put(*store, "t1", "six", "1234567890").ok());
  EXPECT_TRUE(Put(*store, "t2", "ten", "1234567890").ok());
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

TEST_F(ObjectStoreTest, MaxObjectBytesRefusesLargerObjects) {
  std::unique_ptr<ObjectStore> store = OpenStore(0, /*max_object_bytes=*/4);
  PutOptions declared;
  declared.declared_size = 5;
  EXPECT_EQ(Put(*store, "t1", "k", "12345", declared).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Put(*store, "t1", "k", "12345").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(Put(*store, "t1", "k", "1234").ok());
}

TEST_F(ObjectStoreTest, ChecksumMismatchStoresNothingAndKeepsTheOldVersion) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  ASSERT_TRUE(Put(*store, "t1", "k", "old").ok());
  PutOptions wrong;
  wrong.expected_sha256 = Sha256::Hex("something else");
  absl::Status status = Put(*store, "t1", "k", "new", wrong).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("SHA-256 mismatch"));
  EXPECT_EQ(Download(*store, "t1", "k"), "old");
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());

  PutOptions right;
  right.expected_sha256 = absl::AsciiStrToUpper(Sha256::Hex("new"));
  EXPECT_TRUE(Put(*store, "t1", "k", "new", right).ok());
}

TEST_F(ObjectStoreTest, PutRecordsTheCrc32cOfTheWholeBodyAndKeepsItAcrossReopening) {
  // Many small reads, so that the CRC32C has to be carried from one to the next.
  std::string bytes(300000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + i / 251);
  {
    std::unique_ptr<ObjectStore> store = OpenStore();
    StringSource source(bytes, /*piece=*/4093);
    absl::StatusOr<ObjectInfo> put = store->Put("t1", "k", source, {});
    ASSERT_TRUE(put.ok()) << put.status();
    EXPECT_EQ(put->crc32c, Crc32c(bytes));
    ASSERT_TRUE(Put(*store, "t1", "check", "123456789").ok());
    EXPECT_EQ(store->Get("t1", "check")->info().crc32c, 0xe3069283u);
    ASSERT_TRUE(Put(*store, "t1", "empty", "").ok());
  }
  std::unique_ptr<ObjectStore> store = OpenStore();
  absl::StatusOr<ObjectReader> reader = store->Get("t1", "k");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->info().crc32c, Crc32c(bytes));
  EXPECT_EQ(store->Get("t1", "check")->info().crc32c, 0xe3069283u);
  EXPECT_EQ(store->Get("t1", "empty")->info().crc32c, 0u);
}

TEST_F(ObjectStoreTest, Crc32cMismatchStoresNothingAndKeepsTheOldVersion) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  ASSERT_TRUE(Put(*store, "t1", "k", "old").ok());
  PutOptions wrong;
  wrong.expected_crc32c = Crc32c("something else");
  absl::Status status = Put(*store, "t1", "k", "new", wrong).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("CRC32C mismatch"));
  EXPECT_THAT(std::string(status.message()), HasSubstr(Crc32cHex(Crc32c("new"))));
  EXPECT_EQ(Download(*store, "t1", "k"), "old");
  EXPECT_EQ(store->Get("t1", "k")->info().crc32c, Crc32c("old"));
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());

  PutOptions right;
  right.expected_crc32c = Crc32c("new");
  right.expected_sha256 = Sha256::Hex("new");
  absl::StatusOr<ObjectInfo> put = Put(*store, "t1", "k", "new", right);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->crc32c, Crc32c("new"));
}

TEST_F(ObjectStoreTest, BodyThatBreaksOffStoresNothing) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  StringSource broken(std::string(1 << 20, 'x'), 4096, /*fail_after=*/300000);
  absl::Status status = store->Put("t1", "k", broken, {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store->Get("t1", "k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

TEST_F(ObjectStoreTest, OpenRemovesUploadsThatACrashInterrupted) {
  std::filesystem::create_directories(data_dir_ + "/tmp");
  std::ofstream(data_dir_ + "/tmp/upload-abc123") << "half an upload";
  std::unique_ptr<ObjectStore> store = OpenStore();
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
  EXPECT_EQ(store->Stats().objects, 0u);
}

TEST_F(ObjectStoreTest, ReopeningReloadsTheIndexFromDisk) {
  {
    std::unique_ptr<ObjectStore> store = OpenStore();
    PutOptions options;
    options.content_type = "image/png";
    ASSERT_TRUE(Put(*store, "t1", "b", "bee", options).ok());
    ASSERT_TRUE(Put(*store, "t1", "a", "ay").ok());
    ASSERT_TRUE(Put(*store, "t2", "c", "sea!").ok());
    ASSERT_TRUE(Put(*store, "t2", "gone", "x").ok());
    ASSERT_TRUE(store->Delete("t2", "gone").ok());
  }
  now_ += absl::Hours(1);
  std::unique_ptr<ObjectStore> store = OpenStore();
  EXPECT_THAT(Keys(*store->List("t1", {})), ElementsAre("a", "b"));
  EXPECT_THAT(Keys(*store->List("t2", {})), ElementsAre("c"));
  absl::StatusOr<ObjectReader> reader = store->Get("t1", "b");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadWhole(*reader), "bee");
  EXPECT_EQ(reader->info().content_type, "image/png");
  EXPECT_EQ(reader->info().last_modified, now_ - absl::Hours(1));
  EXPECT_EQ(store->Stats().objects, 3u);
  EXPECT_EQ(store->Stats().bytes, 9u);
}

TEST_F(ObjectStoreTest, SecondStoreOnTheSameDirectoryIsRefused) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  ObjectStoreOptions options;
  options.data_dir = data_dir_;
  EXPECT_EQ(ObjectStore::Open(options).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ObjectStoreTest, DamagedObjectFileStopsOpenAndIsNamed) {
  {
    std::unique_ptr<ObjectStore> store = OpenStore();
    ASSERT_TRUE(Put(*store, "t1", "k", "some bytes").ok());
  }
  const std::string path = data_dir_ + "/tenants/t1/" + Sha256::Hex("k");
  std::filesystem::resize_file(path, 5);
  ObjectStoreOptions options;
  options.data_dir = data_dir_;
  absl::Status status = ObjectStore::Open(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr(path));
}

TEST_F(ObjectStoreTest, ObjectStoredBeforeCrc32csReadsWithoutOneUntilReplaced) {
  // As the store wrote it before it kept CRC32Cs: EncodeObjectTrailer writes an object
  // without one in that format (object_file_test pins the bytes).
  const std::string bytes = "stored by an older refstore";
  ObjectInfo old;
  old.key = "old";
  old.size = bytes.size();
  old.sha256 = Sha256::Hex(bytes);
  old.content_type = "text/plain";
  old.last_modified = now_ - absl::Hours(24);
  std::filesystem::create_directories(data_dir_ + "/tenants/t1");
  std::ofstream(data_dir_ + "/tenants/t1/" + Sha256::Hex("old"), std::ios::binary)
      << bytes << EncodeObjectTrailer(old);

  std::unique_ptr<ObjectStore> store = OpenStore();
  absl::StatusOr<ObjectReader> reader = store->Get("t1", "old");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(ReadWhole(*reader), bytes);
  EXPECT_EQ(reader->info().sha256, Sha256::Hex(bytes));
  EXPECT_EQ(reader->info().content_type, "text/plain");
  EXPECT_FALSE(reader->info().crc32c.has_value());
  EXPECT_EQ(store->Stats().bytes, bytes.size());

  ASSERT_TRUE(Put(*store, "t1", "old", "rewritten").ok());
  EXPECT_EQ(store->Get("t1", "old")->info().crc32c, Crc32c("rewritten"));
}

TEST_F(ObjectStoreTest, ConcurrentWritersToOneKeyLeaveReadersOneWholeVersion) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  constexpr int kWriters = 4;
  constexpr int kWritesEach = 15;
  constexpr size_t kObjectBytes = 300000;
  ASSERT_TRUE(Put(*store, "t1", "contended", std::string(kObjectBytes, 'a')).ok());
  std::atomic<bool> writing{true};
  std::atomic<int> torn_reads{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (writing) {
        absl::StatusOr<ObjectReader> reader = store->Get("t1", "contended");
        if (!reader.ok()) continue;
        const std::string bytes = ReadWhole(*reader);
        const bool whole = bytes.size() == kObjectBytes &&
                           bytes.find_first_not_of(bytes[0]) == std::string::npos &&
                           Sha256::Hex(bytes) == reader->info().sha256;
        if (!whole) ++torn_reads;
        ++reads;
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kWritesEach; ++i) {
        StringSource source(std::string(kObjectBytes, static_cast<char>('b' + w)), 8192);
        EXPECT_TRUE(store->Put("t1", "contended", source, {}).ok());
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  writing = false;
  for (std::thread& reader : readers) reader.join();

  EXPECT_EQ(torn_reads, 0);
  EXPECT_GT(reads, 0);
  EXPECT_EQ(store->Stats().objects, 1u);
  EXPECT_EQ(store->Stats().bytes, kObjectBytes);
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

TEST_F(ObjectStoreTest, CreateOnlyPutStoresANewKeyAndRefusesAnExistingOne) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  PutOptions create_only;
  create_only.if_none_match_any = true;
  absl::StatusOr<ObjectInfo> created = Put(*store, "t1", "k", "first", create_only);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->sha256, Sha256::Hex("first"));

  absl::Status refused = Put(*store, "t1", "k", "second", create_only).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("object k already exists"));
  EXPECT_EQ(Download(*store, "t1", "k"), "first");
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
  EXPECT_EQ(store->Stats().bytes, 5u);
  // The key is taken per tenant, and an unconditional upload still replaces it.
  EXPECT_TRUE(Put(*store, "t2", "k", "other tenant", create_only).ok());
  EXPECT_TRUE(Put(*store, "t1", "k", "third").ok());
  EXPECT_EQ(Download(*store, "t1", "k"), "third");
}

TEST_F(ObjectStoreTest, IfMatchPutReplacesOnlyTheVersionItNames) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  PutOptions on_missing;
  on_missing.if_match = "*";
  absl::Status missing = Put(*store, "t1", "k", "never", on_missing).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("does not exist"));
  EXPECT_EQ(store->Get("t1", "k").status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(Put(*store, "t1", "k", "v1").ok());
  PutOptions wrong;
  wrong.if_match = absl::StrCat("\"", Sha256::Hex("v0"), "\"");
  absl::Status refused = Put(*store, "t1", "k", "v2", wrong).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), HasSubstr(Sha256::Hex("v1")));
  EXPECT_EQ(Download(*store, "t1", "k"), "v1");
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());

  // Quoted, bare, in a list, or "*": each admits the current version.
  const std::vector<std::pair<std::string, std::string>> steps = {
      {absl::StrCat("\"", Sha256::Hex("v1"), "\""), "v2"},
      {Sha256::Hex("v2"), "v3"},
      {absl::StrCat("\"", Sha256::Hex("v0"), "\", \"", Sha256::Hex("v3"), "\""), "v4"},
      {"*", "v5"},
  };
  for (const auto& [if_match, bytes] : steps) {
    PutOptions right;
    right.if_match = if_match;
    absl::StatusOr<ObjectInfo> replaced = Put(*store, "t1", "k", bytes, right);
    EXPECT_TRUE(replaced.ok()) << if_match << ": " << replaced.status();
  }
  EXPECT_EQ(Download(*store, "t1", "k"), "v5");
}

TEST_F(ObjectStoreTest, DeleteIfMatchRemovesOnlyTheVersionItNames) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  DeleteOptions on_missing;
  on_missing.if_match = "*";
  EXPECT_EQ(store->Delete("t1", "k", on_missing).code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(Put(*store, "t1", "k", "v1").ok());
  DeleteOptions wrong;
  wrong.if_match = Sha256::Hex("v0");
  EXPECT_EQ(store->Delete("t1", "k", wrong).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Download(*store, "t1", "k"), "v1");

  DeleteOptions right;
  right.if_match = absl::StrCat("\"", Sha256::Hex("v1"), "\"");
  EXPECT_TRUE(store->Delete("t1", "k", right).ok());
  EXPECT_EQ(store->Get("t1", "k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Delete("t1", "k", right).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Stats().objects, 0u);
}

TEST_F(ObjectStoreTest, ConcurrentCreateOnlyPutsOfOneKeyHaveExactlyOneWinner) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  constexpr int kWriters = 8;
  constexpr size_t kObjectBytes = 200000;
  std::atomic<int> ready{0};
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      StringSource source(std::string(kObjectBytes, static_cast<char>('a' + w)), 8192);
      PutOptions create_only;
      create_only.if_none_match_any = true;
      // All start together, so that their uploads overlap.
      ++ready;
      while (ready < kWriters) std::this_thread::yield();
      results[w] = store->Put("t1", "new", source, create_only).status();
    });
  }
  for (std::thread& writer : writers) writer.join();

  std::vector<int> winners;
  for (int w = 0; w < kWriters; ++w) {
    if (results[w].ok()) {
      winners.push_back(w);
    } else {
      EXPECT_EQ(results[w].code(), absl::StatusCode::kFailedPrecondition) << results[w];
    }
  }
  ASSERT_EQ(winners.size(), 1u);
  EXPECT_EQ(Download(*store, "t1", "new"),
            std::string(kObjectBytes, static_cast<char>('a' + winners[0])));
  EXPECT_EQ(store->Stats().objects, 1u);
  EXPECT_EQ(store->Stats().bytes, kObjectBytes);
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

TEST_F(ObjectStoreTest, MultipartUploadAssemblesPartsInNumberOrderWhateverTheSendingOrder) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  StartUploadOptions start;
  start.content_type = "video/mp4";
  absl::StatusOr<std::string> id = store->StartUpload("t1", "movie", start);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_THAT(*id, ::testing::MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(*store->StartUpload("t1", "movie", start), *id);

  const std::string one(70000, '1'), two_old(5, 'x'), two(300000, '2'), three = "three";
  absl::StatusOr<PartInfo> part3 = PutPart(*store, "t1", "movie", *id, 3, three);
  ASSERT_TRUE(part3.ok()) << part3.status();
  EXPECT_EQ(part3->part_number, 3);
  EXPECT_EQ(part3->size, 5u);
  EXPECT_EQ(part3->sha256, Sha256::Hex(three));
  ASSERT_TRUE(PutPart(*store, "t1", "movie", *id, 2, two_old).ok());
  ASSERT_TRUE(PutPart(*store, "t1", "movie", *id, 1, one).ok());
  // Sending part 2 again replaces it whole.
  ASSERT_TRUE(PutPart(*store, "t1", "movie", *id, 2, two).ok());

  absl::StatusOr<UploadListing> listing = store->ListParts("t1", "movie", *id);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_EQ(listing->key, "movie");
  EXPECT_EQ(listing->upload_id, *id);
  EXPECT_FALSE(listing->complete);
  EXPECT_THAT(PartNumbers(*listing), ElementsAre(1, 2, 3));
  EXPECT_EQ(listing->parts[1].size, two.size());
  EXPECT_EQ(listing->parts[1].sha256, Sha256::Hex(two));
  EXPECT_EQ(store->Get("t1", "movie").status().code(), absl::StatusCode::kNotFound);
  // Parts are not objects: they are neither listed nor counted.
  EXPECT_EQ(store->Stats().objects, 0u);

  absl::StatusOr<ObjectInfo> done = store->CompleteUpload("t1", "movie", *id);
  ASSERT_TRUE(done.ok()) << done.status();
  const std::string whole = one + two + three;
  EXPECT_EQ(done->size, whole.size());
  EXPECT_EQ(done->sha256, Sha256::Hex(whole));
  absl::StatusOr<ObjectReader> reader = store->Get("t1", "movie");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadWhole(*reader), whole);
  EXPECT_EQ(reader->info().content_type, "video/mp4");
  EXPECT_EQ(store->Stats().bytes, whole.size());
  // Only the record of the completion is left of the upload.
  EXPECT_THAT(FilesUnder(data_dir_ + "/uploads/t1/" + *id), ElementsAre("manifest"));
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

TEST_F(ObjectStoreTest, MultipartCompletionNeedsPartsFromOneWithoutGaps) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  const std::string id = StartWithParts(*store, "t1", "k", {});
  ASSERT_TRUE(PutPart(*store, "t1", "k", id, 1, "a").ok());
  ASSERT_TRUE(PutPart(*store, "t1", "k", id, 3, "c").ok());
  absl::Status gap = store->CompleteUpload("t1", "k", id).status();
  EXPECT_EQ(gap.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(gap.message()), HasSubstr("no part 2"));
  EXPECT_EQ(store->Get("t1", "k").status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(PutPart(*store, "t1", "k", id, 2, "b").ok());
  ASSERT_TRUE(store->CompleteUpload("t1", "k", id).ok());
  EXPECT_EQ(Download(*store, "t1", "k"), "abc");

  // No parts at all make an empty object.
  const std::string empty = StartWithParts(*store, "t1", "empty", {});
  absl::StatusOr<ObjectInfo> made = store->CompleteUpload("t1", "empty", empty);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->size, 0u);
  EXPECT_EQ(Download(*store, "t1", "empty"), "");
}

TEST_F(ObjectStoreTest, MultipartPartNumbersAndChecksumsAreChecked) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  const std::string id = StartWithParts(*store, "t1", "k", {"good"});
  for (int number : {0, -1, kMaxPartNumber + 1}) {
    EXPECT_EQ(PutPart(*store, "t1", "k", id, number, "x").status().code(),
              absl::StatusCode::kInvalidArgument)
        << number;
  }
  EXPECT_TRUE(PutPart(*store, "t1", "k", id, kMaxPartNumber, "last").ok());

  PartOptions wrong;
  wrong.expected_sha256 = Sha256::Hex("other");
  absl::Status mismatch = PutPart(*store, "t1", "k", id, 1, "bad", wrong).status();
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(mismatch.message()), HasSubstr("SHA-256 mismatch"));
  PartOptions not_hex;
  not_hex.expected_sha256 = "zz";
  EXPECT_EQ(PutPart(*store, "t1", "k", id, 1, "bad", not_hex).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The part sent before the refused ones is still part 1.
  absl::StatusOr<UploadListing> listing = store->ListParts("t1", "k", id);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->parts[0].sha256, Sha256::Hex("good"));
  PartOptions right;
  right.expected_sha256 = absl::AsciiStrToUpper(Sha256::Hex("better"));
  EXPECT_TRUE(PutPart(*store, "t1", "k", id, 1, "better", right).ok());
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());

  StartUploadOptions bad_start;
  bad_start.expected_sha256 = "not-hex";
  EXPECT_EQ(store->StartUpload("t1", "k", bad_start).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->StartUpload("../t", "k", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->StartUpload("t1", "", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ObjectStoreTest, MultipartWrongDeclaredChecksumRefusesCompletionAndKeepsTheParts) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  StartUploadOptions declared;
  declared.expected_sha256 = Sha256::Hex("hello world");
  const std::string id = StartWithParts(*store, "t1", "k", {"hello ", "word"}, declared);
  absl::Status refused = store->CompleteUpload("t1", "k", id).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("SHA-256 mismatch"));
  EXPECT_EQ(store->Get("t1", "k").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<UploadListing> listing = store->ListParts("t1", "k", id);
  ASSERT_TRUE(listing.ok());
  EXPECT_FALSE(listing->complete);
  EXPECT_THAT(PartNumbers(*listing), ElementsAre(1, 2));
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());

  // Re-sending the wrong part mends it.
  ASSERT_TRUE(PutPart(*store, "t1", "k", id, 2, "world").ok());
  absl::StatusOr<ObjectInfo> done = store->CompleteUpload("t1", "k", id);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(Download(*store, "t1", "k"), "hello world");
}

TEST_F(ObjectStoreTest, MultipartCompletionRecordsTheCrc32cOfTheWholeObject) {
  const std::vector<std::string> parts = {std::string(70000, '1'), "two", std::string(5, '3')};
  const std::string whole = parts[0] + parts[1] + parts[2];
  std::string id;
  {
    std::unique_ptr<ObjectStore> store = OpenStore();
    id = StartWithParts(*store, "t1", "k", parts);
    absl::StatusOr<ObjectInfo> done = store->CompleteUpload("t1", "k", id);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(done->crc32c, Crc32c(whole));
    EXPECT_EQ(store->Get("t1", "k")->info().crc32c, Crc32c(whole));
  }
  // The object keeps it on disk, and the completion's record answers a repeat with it.
  std::unique_ptr<ObjectStore> store = OpenStore();
  EXPECT_EQ(store->Get("t1", "k")->info().crc32c, Crc32c(whole));
  absl::StatusOr<ObjectInfo> again = store->CompleteUpload("t1", "k", id);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->crc32c, Crc32c(whole));
}

TEST_F(ObjectStoreTest, MultipartCrc32csOfPartsAndOfTheWholeAreChecked) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  StartUploadOptions declared;
  declared.expected_crc32c = Crc32c("hello world");
  const std::string id = StartWithParts(*store, "t1", "k", {"hello ", "word"}, declared);

  PartOptions wrong;
  wrong.expected_crc32c = Crc32c("other");
  absl::Status mismatch = PutPart(*store, "t1", "k", id, 2, "world", wrong).status();
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(mismatch.message()), HasSubstr("CRC32C mismatch"));
  // Part 2 is still the wrong bytes, which the declared CRC32C of the whole refuses.
  absl::Status refused = store->CompleteUpload("t1", "k", id).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("CRC32C mismatch"));
  EXPECT_EQ(store->Get("t1", "k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(PartNumbers(*store->ListParts("t1", "k", id)), ElementsAre(1, 2));

  PartOptions right;
  right.expected_crc32c = Crc32c("world");
  ASSERT_TRUE(PutPart(*store, "t1", "k", id, 2, "world", right).ok());
  absl::StatusOr<ObjectInfo> done = store->CompleteUpload("t1", "k", id);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->crc32c, Crc32c("hello world"));
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

TEST_F(ObjectStoreTest, MultipartConditionsAreCheckedAtCompletionNotAtStart) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  ASSERT_TRUE(Put(*store, "t1", "taken", "existing").ok());
  StartUploadOptions create_only;
  create_only.if_none_match_any = true;
  const std::string on_taken = StartWithParts(*store, "t1", "taken", {"new"}, create_only);
  absl::Status refused = store->CompleteUpload("t1", "taken", on_taken).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("already exists"));
  EXPECT_EQ(Download(*store, "t1", "taken"), "existing");
  EXPECT_FALSE(store->ListParts("t1", "taken", on_taken)->complete);

  // The key was free at the start, but another writer took it before the completion.
  const std::string raced = StartWithParts(*store, "t1", "free", {"mine"}, create_only);
  ASSERT_TRUE(Put(*store, "t1", "free", "theirs").ok());
  EXPECT_EQ(store->CompleteUpload("t1", "free", raced).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Download(*store, "t1", "free"), "theirs");

  StartUploadOptions if_match;
  if_match.if_match = absl::StrCat("\"", Sha256::Hex("existing"), "\"");
  const std::string replace = StartWithParts(*store, "t1", "taken", {"v2"}, if_match);
  const std::string stale = StartWithParts(*store, "t1", "taken", {"v3"}, if_match);
  ASSERT_TRUE(store->CompleteUpload("t1", "taken", replace).ok());
  EXPECT_EQ(Download(*store, "t1", "taken"), "v2");
  EXPECT_EQ(store->CompleteUpload("t1", "taken", stale).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Download(*store, "t1", "taken"), "v2");
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

TEST_F(ObjectStoreTest, MultipartUploadIdsBelongToTheirTenantAndKey) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  const std::string id = StartWithParts(*store, "t1", "k", {"a's part"});
  for (const auto& [tenant, key] : std::vector<std::pair<std::string, std::string>>{
           {"t2", "k"}, {"t1", "other"}}) {
    absl::Status listed = store->ListParts(tenant, key, id).status();
    EXPECT_EQ(listed.code(), absl::StatusCode::kNotFound) << tenant << " " << key;
    EXPECT_THAT(std::string(listed.message()), HasSubstr("no such upload"));
    EXPECT_EQ(PutPart(*store, tenant, key, id, 1, "intruder").status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(store->CompleteUpload(tenant, key, id).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(store->AbortUpload(tenant, key, id).code(), absl::StatusCode::kNotFound);
  }
  for (const std::string& bad_id : {std::string(), std::string("../../tenants"),
                                    absl::AsciiStrToUpper(id), std::string(32, 'g')}) {
    EXPECT_EQ(store->ListParts("t1", "k", bad_id).status().code(), absl::StatusCode::kNotFound)
        << bad_id;
  }
  absl::StatusOr<UploadListing> listing = store->ListParts("t1", "k", id);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->parts[0].sha256, Sha256::Hex("a's part"));
  ASSERT_TRUE(store->CompleteUpload("t1", "k", id).ok());
  EXPECT_EQ(Download(*store, "t1", "k"), "a's part");
  EXPECT_EQ(store->Get("t2", "k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Get("t1", "other").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ObjectStoreTest, MultipartAbortRemovesTheUploadAndItsParts) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  const std::string id = StartWithParts(*store, "t1", "k", {"one", "two"});
  const std::string kept = StartWithParts(*store, "t1", "k", {"kept"});
  ASSERT_TRUE(store->AbortUpload("t1", "k", id).ok());
  EXPECT_EQ(store->ListParts("t1", "k", id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->CompleteUpload("t1", "k", id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(PutPart(*store, "t1", "k", id, 1, "late").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->AbortUpload("t1", "k", id).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Get("t1", "k").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(FilesUnder(data_dir_ + "/uploads"),
              ElementsAre("t1/" + kept + "/manifest", "t1/" + kept + "/part-00001"));
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

TEST_F(ObjectStoreTest, MultipartCompletionIsIdempotentAndItsRecordAnswersListings) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  const std::string id = StartWithParts(*store, "t1", "k", {"first ", "version"});
  absl::StatusOr<ObjectInfo> done = store->CompleteUpload("t1", "k", id);
  ASSERT_TRUE(done.ok()) << done.status();
  // Someone replaces the object; a repeated completion answers as the first did and
  // writes nothing.
  ASSERT_TRUE(Put(*store, "t1", "k", "replaced").ok());
  absl::StatusOr<ObjectInfo> again = store->CompleteUpload("t1", "k", id);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->key, "k");
  EXPECT_EQ(again->size, done->size);
  EXPECT_EQ(again->sha256, Sha256::Hex("first version"));
  EXPECT_EQ(Download(*store, "t1", "k"), "replaced");

  absl::StatusOr<UploadListing> listing = store->ListParts("t1", "k", id);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_TRUE(listing->complete);
  EXPECT_THAT(listing->parts, IsEmpty());
  EXPECT_EQ(listing->size, 13u);
  EXPECT_EQ(listing->sha256, Sha256::Hex("first version"));

  absl::Status late_part = PutPart(*store, "t1", "k", id, 3, "more").status();
  EXPECT_EQ(late_part.code(), absl::StatusCode::kAborted);
  absl::Status abort = store->AbortUpload("t1", "k", id);
  EXPECT_EQ(abort.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(abort.message()), HasSubstr(absl::StrCat("upload ", id, " is complete")));
  EXPECT_TRUE(store->ListParts("t1", "k", id)->complete);
}

TEST_F(ObjectStoreTest, MultipartUploadsExpireAfterTheirLastActivity) {
  std::unique_ptr<ObjectStore> store = OpenStoreWithExpiry(absl::Hours(2));
  const std::string active = StartWithParts(*store, "t1", "active", {"a"});
  const std::string idle = StartWithParts(*store, "t1", "idle", {"i"});
  const std::string completed = StartWithParts(*store, "t1", "done", {"d"});
  ASSERT_TRUE(store->CompleteUpload("t1", "done", completed).ok());

  now_ += absl::Minutes(90);
  ASSERT_TRUE(PutPart(*store, "t1", "active", active, 2, "b").ok());
  now_ += absl::Minutes(90);
  // Expired uploads are gone as soon as they expire, before any sweep.
  EXPECT_EQ(store->ListParts("t1", "idle", idle).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->CompleteUpload("t1", "done", completed).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(PartNumbers(*store->ListParts("t1", "active", active)), ElementsAre(1, 2));
  // Starting an upload sweeps them off the disk.
  EXPECT_EQ(FilesUnder(data_dir_ + "/uploads").size(), 6u);
  const std::string fresh = StartWithParts(*store, "t1", "fresh", {});
  std::vector<std::string> files = FilesUnder(data_dir_ + "/uploads");
  std::sort(files.begin(), files.end());
  std::vector<std::string> expected = {"t1/" + active + "/manifest",
                                       "t1/" + active + "/part-00001",
                                       "t1/" + active + "/part-00002", "t1/" + fresh + "/manifest"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(files, expected);
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
  EXPECT_EQ(Download(*store, "t1", "done"), "d");

  // Opening the store sweeps too, and times survive: "active" was last touched by its part.
  store.reset();
  now_ += absl::Minutes(91);
  store = OpenStoreWithExpiry(absl::Hours(2));
  EXPECT_EQ(store->ListParts("t1", "active", active).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->ListParts("t1", "fresh", fresh).ok());
  EXPECT_THAT(FilesUnder(data_dir_ + "/uploads"), ElementsAre("t1/" + fresh + "/manifest"));
}

TEST_F(ObjectStoreTest, MultipartUploadsSurviveReopeningTheStore) {
  std::string open_id, done_id;
  {
    std::unique_ptr<ObjectStore> store = OpenStore();
    StartUploadOptions options;
    options.content_type = "text/plain";
    options.expected_sha256 = Sha256::Hex("part one, part two");
    options.if_none_match_any = true;
    open_id = StartWithParts(*store, "t1", std::string("odd\nkey \"\\"), {"part one, "},
                             options);
    done_id = StartWithParts(*store, "t2", "done", {"x", "y"});
    ASSERT_TRUE(store->CompleteUpload("t2", "done", done_id).ok());
  }
  // A completion that crashed after its record but before removing its parts.
  std::ofstream(data_dir_ + "/uploads/t2/" + done_id + "/part-00001") << "x";
  std::ofstream(data_dir_ + "/tmp/upload-interrupted") << "half a part";

  std::unique_ptr<ObjectStore> store = OpenStore();
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
  EXPECT_THAT(FilesUnder(data_dir_ + "/uploads/t2/" + done_id), ElementsAre("manifest"));
  absl::StatusOr<UploadListing> done = store->ListParts("t2", "done", done_id);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->complete);
  EXPECT_EQ(done->sha256, Sha256::Hex("xy"));

  const std::string key("odd\nkey \"\\");
  absl::StatusOr<UploadListing> listing = store->ListParts("t1", key, open_id);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_FALSE(listing->complete);
  ASSERT_THAT(PartNumbers(*listing), ElementsAre(1));
  EXPECT_EQ(listing->parts[0].size, 10u);
  EXPECT_EQ(listing->parts[0].sha256, Sha256::Hex("part one, "));
  ASSERT_TRUE(PutPart(*store, "t1", key, open_id, 2, "part two").ok());
  // What the start recorded still applies: the type, the checksum and the condition.
  ASSERT_TRUE(store->CompleteUpload("t1", key, open_id).ok());
  absl::StatusOr<ObjectReader> reader = store->Get("t1", key);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadWhole(*reader), "part one, part two");
  EXPECT_EQ(reader->info().content_type, "text/plain");
}

TEST_F(ObjectStoreTest, DamagedUploadManifestStopsOpenAndIsNamed) {
  std::string id;
  {
    std::unique_ptr<ObjectStore> store = OpenStore();
    id = StartWithParts(*store, "t1", "k", {"x"});
  }
  const std::string path = data_dir_ + "/uploads/t1/" + id + "/manifest";
  std::ofstream(path) << "garbage";
  ObjectStoreOptions options;
  options.data_dir = data_dir_;
  absl::Status status = ObjectStore::Open(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr(path));
}

TEST_F(ObjectStoreTest, MultipartPartsAreOutsideTheQuotaButTheObjectIsNot) {
  std::unique_ptr<ObjectStore> store = OpenStore(/*quota_bytes=*/10, /*max_object_bytes=*/9);
  const std::string id = StartWithParts(*store, "t1", "k", {"12345", "6789"});
  const std::string other = StartWithParts(*store, "t1", "other", {"12345", "6789"});
  // Nine bytes in parts of one upload and nine of another: the quota does not see them.
  // No part may be larger than an object.
  EXPECT_EQ(PutPart(*store, "t1", "k", id, 3, "1234567890").status().code(),
            absl::StatusCode::kOutOfRange);
  PartOptions declared;
  declared.declared_size = 10;
  EXPECT_EQ(PutPart(*store, "t1", "k", id, 3, "1", declared).status().code(),
            absl::StatusCode::kOutOfRange);
  ASSERT_TRUE(store->CompleteUpload("t1", "k", id).ok());
  EXPECT_EQ(store->Stats().bytes, 9u);
  absl::Status over_quota = store->CompleteUpload("t1", "other", other).status();
  EXPECT_EQ(over_quota.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(over_quota.message()), HasSubstr("Quota exceeded"));
  EXPECT_EQ(store->Get("t1", "other").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(PartNumbers(*store->ListParts("t1", "other", other)), ElementsAre(1, 2));

  const std::string too_large = StartWithParts(*store, "t2", "k", {"12345", "67890"});
  EXPECT_EQ(store->CompleteUpload("t2", "k", too_large).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

TEST_F(ObjectStoreTest, MultipartPartRacingACompletionNeverMixesParts) {
  std::unique_ptr<ObjectStore> store = OpenStore();
  constexpr size_t kPartBytes = 200000;
  const std::string a(kPartBytes, 'a'), b(kPartBytes, 'b');
  for (int round = 0; round < 8; ++round) {
    const std::string key = absl::StrCat("k", round);
    const std::string id = StartWithParts(*store, "t1", key, {a, a, a});
    std::atomic<bool> completed{false};
    std::thread replacer([&] {
      // Replaces part 2 until the completion shuts it out.
      while (!completed) {
        StringSource source(b, 4096);
        absl::Status put = store->PutPart("t1", key, id, 2, source).status();
        if (put.code() == absl::StatusCode::kAborted) break;
        EXPECT_TRUE(put.ok()) << put;
      }
    });
    std::vector<std::thread> completers;
    std::vector<absl::StatusOr<ObjectInfo>> results(3, absl::UnknownError(""));
    for (int c = 0; c < 3; ++c) {
      completers.emplace_back([&, c] {
        if (round % 2 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        results[c] = store->CompleteUpload("t1", key, id);
      });
    }
    for (std::thread& completer : completers) completer.join();
    completed = true;
    replacer.join();

    const std::string stored = Download(*store, "t1", key);
    EXPECT_TRUE(stored == a + a + a || stored == a + b + a) << "round " << round;
    for (const absl::StatusOr<ObjectInfo>& result : results) {
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(result->sha256, Sha256::Hex(stored));
    }
  }
  EXPECT_THAT(FilesUnder(data_dir_ + "/tmp"), IsEmpty());
}

}  // namespace
}  // namespace objgate::refstore
