#include "tools/refstore/object_store.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/sha256.h"
#include "tests/support/temp_dir.h"

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
    ObjectStoreOptions options;
    options.data_dir = data_dir_;
    options.quota_bytes = quota_bytes;
    options.max_object_bytes = max_object_bytes;
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

}  // namespace
}  // namespace objgate::refstore
