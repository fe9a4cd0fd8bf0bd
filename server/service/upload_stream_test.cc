#include "server/service/upload_stream.h"

#include <deque>
#include <string>

#include "common/crc32c.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/service/testing/fake_message_streams.h"

namespace objgate {
namespace {

using ::testing::HasSubstr;
namespace v1 = ::storage::v1;

// The caller's side of an Upload stream: the messages it sends, then the end (or a cancel).
class ScriptedReader : public FakeServerReader<v1::UploadRequest> {
 public:
  void AddData(std::string bytes) {
    v1::UploadRequest message;
    message.set_data(std::move(bytes));
    Add(std::move(message));
  }
  // The last message: `bytes` (may be empty) with finish_write set.
  void AddFinish(std::string bytes = "") {
    v1::UploadRequest message;
    if (!bytes.empty()) message.set_data(std::move(bytes));
    message.set_finish_write(true);
    Add(std::move(message));
  }
  // A data message with the CRC32C `crc32c` declared for it.
  void AddChecked(std::string bytes, uint32_t crc32c) {
    v1::UploadRequest message;
    message.set_data(std::move(bytes));
    message.set_crc32c(crc32c);
    Add(std::move(message));
  }
  void AddSpec() {
    v1::UploadRequest message;
    message.mutable_spec()->set_key("again");
    Add(std::move(message));
  }
};

// Reads the stream as the upstream request would, with a small buffer.
absl::StatusOr<std::string> Drain(UploadStream& stream) {
  std::string out;
  char buffer[5];
  while (true) {
    absl::StatusOr<size_t> n = stream.Read(absl::Span<char>(buffer, sizeof buffer));
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buffer, *n);
  }
}

auto NotCancelled() {
  return [] { return false; };
}

TEST(UploadStreamTest, PassesBytesThroughInOrderAndHashesThem) {
  ScriptedReader reader;
  reader.AddData("hello ");
  reader.AddData("");
  reader.AddData("streaming world");
  reader.AddFinish();
  UploadStream stream(reader, NotCancelled(), std::nullopt, "");
  absl::StatusOr<std::string> body = Drain(stream);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "hello streaming world");
  EXPECT_EQ(stream.bytes_received(), 21);
  EXPECT_EQ(stream.sha256(), Sha256::Hex("hello streaming world"));
}

TEST(UploadStreamTest, ChecksEachMessagesCrc32cAndReportsTheStreams) {
  ScriptedReader reader;
  reader.AddChecked("hello ", Crc32c("hello "));
  reader.AddData("unchecked ");
  reader.AddChecked("world", Crc32c("world"));
  reader.AddFinish();
  UploadStream stream(reader, NotCancelled(), std::nullopt, "");
  absl::StatusOr<std::string> body = Drain(stream);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "hello unchecked world");
  EXPECT_EQ(stream.crc32c(), Crc32c("hello unchecked world"));
}

TEST(UploadStreamTest, CorruptedMessageIsDataLossBeforeAnyOfItsBytesGoOn) {
  ScriptedReader reader;
  reader.AddChecked("first", Crc32c("first"));
  reader.AddChecked("secXnd", Crc32c("second"));  // a byte changed in transit
  reader.AddFinish("third");
  UploadStream stream(reader, NotCancelled(), std::nullopt, "");
  std::string released;
  char buffer[64];
  absl::Status status;
  while (true) {
    absl::StatusOr<size_t> n = stream.Read(absl::Span<char>(buffer, sizeof buffer));
    if (!n.ok()) {
      status = n.status();
      break;
    }
    if (*n == 0) break;
    released.append(buffer, *n);
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("CRC32C"));
  EXPECT_THAT(std::string(status.message()), HasSubstr(Crc32cHex(Crc32c("second"))));
  EXPECT_EQ(released.find("secXnd"), std::string::npos);
}

TEST(UploadStreamTest, HoldsBackTheLastMessageUntilTheSizeChecksOut) {
  ScriptedReader reader;
  reader.AddData("12345");
  reader.AddData("678");
  UploadStream stream(reader, NotCancelled(), /*declared_size=*/10, "");
  std::string released;
  absl::Status failure;
  char buffer[16];
  while (true) {
    absl::StatusOr<size_t> n = stream.Read(absl::Span<char>(buffer, sizeof buffer));
    if (!n.ok()) {
      failure = n.status();
      break;
    }
    ASSERT_NE(*n, 0u) << "a short body must never end cleanly";
    released.append(buffer, *n);
  }
  EXPECT_EQ(failure.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(failure.message()), HasSubstr("declared 10 bytes but sent 8"));
  // The first message went out, the last was never released.
  EXPECT_EQ(released, "12345");
}

TEST(UploadStreamTest, WrongChecksumFailsBeforeTheLastBytesAreReleased) {
  ScriptedReader reader;
  reader.AddFinish("abc");
  UploadStream stream(reader, NotCancelled(), std::nullopt, Sha256::Hex("abd"));
  char buffer[16];
  absl::StatusOr<size_t> n = stream.Read(absl::Span<char>(buffer, sizeof buffer));
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("SHA-256"));
}

TEST(UploadStreamTest, MatchingChecksumAndSizePass) {
  ScriptedReader reader;
  reader.AddData("ab");
  reader.AddData("c");
  UploadStream stream(reader, NotCancelled(), 3, Sha256::Hex("abc"));
  absl::StatusOr<std::string> body = Drain(stream);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "abc");
}

TEST(UploadStreamTest, DataPastTheDeclaredSizeFailsAtOnce) {
  ScriptedReader reader;
  reader.AddData("1234");
  reader.AddData("5678");
  reader.AddData("more that must not be read");
  UploadStream stream(reader, NotCancelled(), 6, "");
  absl::StatusOr<std::string> body = Drain(stream);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr("more than the declared size"));
  EXPECT_EQ(reader.reads(), 2);
}

TEST(UploadStreamTest, SecondSpecIsRejected) {
  ScriptedReader reader;
  reader.AddData("1234");
  reader.AddSpec();
  UploadStream stream(reader, NotCancelled(), std::nullopt, "");
  absl::StatusOr<std::string> body = Drain(stream);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(body.status().message()),
              HasSubstr("spec or upload_id after its first message"));
}

TEST(UploadStreamTest, CancelledCallerIsNotAnEndOfBody) {
  ScriptedReader reader;
  reader.AddData("partial");
  UploadStream stream(
      reader, [] { return true; }, std::nullopt, "");
  absl::StatusOr<std::string> body = Drain(stream);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kCancelled);
}

TEST(UploadStreamTest, EmptyBodyIsVerifiedByPrime) {
  ScriptedReader reader;
  reader.AddFinish();
  UploadStream stream(reader, NotCancelled(), std::nullopt, Sha256::Hex("not empty"));
  EXPECT_EQ(stream.Prime().code(), absl::StatusCode::kInvalidArgument);

  ScriptedReader empty;
  UploadStream ok_stream(empty, NotCancelled(), 0, Sha256::Hex(""));
  EXPECT_TRUE(ok_stream.Prime().ok());
  absl::StatusOr<std::string> body = Drain(ok_stream);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, "");
}

TEST(UploadStreamTest, StreamThatEndsWithoutFinishOrSizeIsNotABody) {
  // What a broken stream looks like on the server when cancellation is not yet visible.
  ScriptedReader reader;
  reader.AddData("the first half");
  UploadStream stream(reader, NotCancelled(), std::nullopt, "");
  absl::StatusOr<std::string> body = Drain(stream);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(body.status().message()), HasSubstr("without finish_write"));
}

TEST(UploadStreamTest, FinishOnTheLastDataMessageEndsTheBodyWithoutWaiting) {
  ScriptedReader reader;
  reader.AddData("ab");
  reader.AddFinish("cd");
  reader.AddData("never read");
  UploadStream stream(reader, NotCancelled(), std::nullopt, Sha256::Hex("abcd"));
  absl::StatusOr<std::string> body = Drain(stream);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "abcd");
  EXPECT_EQ(reader.reads(), 2);
}

TEST(UploadStreamTest, DeclaredSizeReachedCompletesWithoutFinish) {
  ScriptedReader reader;
  reader.AddData("12345");
  UploadStream stream(reader, NotCancelled(), 5, "");
  absl::StatusOr<std::string> body = Drain(stream);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "12345");
}

}  // namespace
}  // namespace objgate
