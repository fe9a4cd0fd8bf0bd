#include "common/httpd/http_wire.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace objgate::httpd {
namespace {

using ::testing::HasSubstr;

// Hands out `pieces` one raw read at a time (split further when the reader asks for
// less), so that every delimiter and chunk can be made to straddle reads.
InputBuffer::RawRead FromPieces(std::vector<std::string> pieces) {
  auto state = std::make_shared<std::pair<std::vector<std::string>, size_t>>(
      std::move(pieces), 0);
  return [state](char* buffer, size_t capacity) -> absl::StatusOr<size_t> {
    auto& [remaining, next] = *state;
    if (next == remaining.size()) return 0;
    std::string& piece = remaining[next];
    const size_t n = std::min(capacity, piece.size());
    std::memcpy(buffer, piece.data(), n);
    piece.erase(0, n);
    if (piece.empty()) ++next;
    return n;
  };
}

std::vector<std::string> OneByteEach(absl::string_view text) {
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  return bytes;
}

absl::StatusOr<std::string> ReadAll(ByteSource& source, size_t buffer_size = 3) {
  std::string all;
  std::vector<char> buffer(buffer_size);
  while (true) {
    absl::StatusOr<size_t> got = source.Read(absl::MakeSpan(buffer));
    if (!got.ok()) return got.status();
    if (*got == 0) return all;
    all.append(buffer.data(), *got);
  }
}

RequestHead RequestWithHeaders(HttpHeaders headers) {
  RequestHead request;
  request.method = "PUT";
  request.path = "/upload";
  request.headers = std::move(headers);
  return request;
}

TEST(ParseRequestHeadTest, ParsesMethodDecodedPathQueryAndHeaders) {
  absl::StatusOr<RequestHead> request = ParseRequestHead(
      "GET /dir%20x/list?prefix=a%2Fb+c&max_keys=10&flag HTTP/1.1\r\n"
      "Host: localhost\r\n"
      "X-Tenant-ID:   t1  ");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->path, "/dir x/list");
  EXPECT_EQ(request->QueryParam("prefix"), "a/b c");
  EXPECT_EQ(request->QueryParam("max_keys"), "10");
  EXPECT_EQ(request->QueryParam("flag"), "");
  EXPECT_EQ(request->QueryParam("absent"), std::nullopt);
  EXPECT_EQ(request->headers.Get("x-tenant-id"), "t1");
  EXPECT_EQ(request->minor_version, 1);
}

// A CRLF left over after the previous request's body, as some clients send.
TEST(ParseRequestHeadTest, IgnoresAnEmptyLineBeforeTheRequestLine) {
  absl::StatusOr<RequestHead> request = ParseRequestHead("\r\nGET / HTTP/1.0");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->minor_version, 0);
}

TEST(ParseRequestHeadTest, RejectsMalformedHeads) {
  const char* const heads[] = {
      "GET /",
      "GET  / HTTP/1.1",
      "GET / HTTP/2.0",
      "GET http://host/ HTTP/1.1",
      "G(T / HTTP/1.1",
      "GET / HTTP/1.1\r\nNoColon",
      "GET / HTTP/1.1\r\nBad Name: x",
      "GET / HTTP/1.1\r\nA: b\r\n folded",
      "GET / HTTP/1.1\r\nA: b\nInjected: c",
      "GET /?key=a&key=b HTTP/1.1",
      "GET /?key=%zz HTTP/1.1",
      "GET /?key=%4 HTTP/1.1",
  };
  for (const char* head : heads) {
    EXPECT_EQ(ParseRequestHead(head).status().code(), absl::StatusCode::kInvalidArgument)
        << head;
  }
}

TEST(InputBufferTest, FindsADelimiterSplitAcrossReads) {
  InputBuffer input(FromPieces({"GET / HTTP/1.1\r", "\n\r", "\nrest"}));
  absl::StatusOr<std::string> head = input.ReadUntil("\r\n\r\n", 100);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, "GET / HTTP/1.1");
  char rest[8];
  absl::StatusOr<size_t> got = input.ReadSome(rest, sizeof(rest));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(absl::string_view(rest, *got), "rest");
}

TEST(InputBufferTest, HeadLongerThanTheLimitIsResourceExhausted) {
  InputBuffer input(FromPieces({std::string(5000, 'a')}));
  EXPECT_EQ(input.ReadUntil("\r\n\r\n", 1000).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(InputBufferTest, DistinguishesACleanCloseFromOneMidMessage) {
  InputBuffer idle(FromPieces({}));
  EXPECT_EQ(idle.ReadUntil("\r\n\r\n", 100).status().code(), absl::StatusCode::kOutOfRange);
  InputBuffer partial(FromPieces({"GET / HT"}));
  EXPECT_EQ(partial.ReadUntil("\r\n\r\n", 100).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(ChunkedBodyTest, DecodesChunksExtensionsAndTrailersReadOneByteAtATime) {
  InputBuffer input(FromPieces(OneByteEach(
      "5\r\nhello\r\n6;name=value\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
      "NEXT")));
  absl::StatusOr<std::unique_ptr<BodyDecoder>> body =
      MakeBodyDecoder(RequestWithHeaders({{"Transfer-Encoding", "chunked"}}), input);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ((*body)->declared_size(), std::nullopt);
  EXPECT_EQ(ReadAll(**body).value_or("<error>"), "hello world0123456789");
  EXPECT_TRUE((*body)->finished());
  // The next request on the connection is left untouched.
  EXPECT_EQ(input.ReadUntil("T", 10).value_or("<error>"), "NEX");
}

TEST(ChunkedBodyTest, RejectsMalformedChunks) {
  struct Case {
    const char* wire;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {"x\r\nhello\r\n0\r\n\r\n", absl::StatusCode::kInvalidArgument},
      {"5\r\nhelloXX0\r\n\r\n", absl::StatusCode::kInvalidArgument},
      {"-1\r\n", absl::StatusCode::kInvalidArgument},
      {"1000000000000000\r\n", absl::StatusCode::kInvalidArgument},
      {"\r\n", absl::StatusCode::kInvalidArgument},
      {"5\r\nhel", absl::StatusCode::kUnavailable},
      {"5\r\nhello\r\n", absl::StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    InputBuffer input(FromPieces({c.wire}));
    absl::StatusOr<std::unique_ptr<BodyDecoder>> body =
        MakeBodyDecoder(RequestWithHeaders({{"Transfer-Encoding", "chunked"}}), input);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(ReadAll(**body).status().code(), c.code) << c.wire;
    EXPECT_FALSE((*body)->finished()) << c.wire;
  }
}

TEST(ChunkedBodyTest, OverlongSizeLineIsABadRequestNotALargeHeader) {
  InputBuffer input(FromPieces({std::string(10000, '0')}));
  absl::StatusOr<std::unique_ptr<BodyDecoder>> body =
      MakeBodyDecoder(RequestWithHeaders({{"Transfer-Encoding", "chunked"}}), input);
  ASSERT_TRUE(body.ok());
  absl::Status status = ReadAll(**body).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("chunk size line"));
}

TEST(ContentLengthBodyTest, ReadsExactlyTheDeclaredBytes) {
  InputBuffer input(FromPieces({"hel", "lo wor", "ldNEXT"}));
  absl::StatusOr<std::unique_ptr<BodyDecoder>> body =
      MakeBodyDecoder(RequestWithHeaders({{"Content-Length", "11"}}), input);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)->declared_size(), 11u);
  EXPECT_EQ(ReadAll(**body).value_or("<error>"), "hello world");
  EXPECT_TRUE((*body)->finished());
  EXPECT_EQ(input.ReadUntil("T", 10).value_or("<error>"), "NEX");
}

TEST(ContentLengthBodyTest, ConnectionClosedEarlyIsUnavailable) {
  InputBuffer input(FromPieces({"hello"}));
  absl::StatusOr<std::unique_ptr<BodyDecoder>> body =
      MakeBodyDecoder(RequestWithHeaders({{"Content-Length", "11"}}), input);
  ASSERT_TRUE(body.ok());
  absl::Status status = ReadAll(**body).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("5 of 11"));
}

TEST(MakeBodyDecoderTest, NoFramingHeadersMeansAnEmptyBody) {
  InputBuffer input(FromPieces({"NEXT"}));
  absl::StatusOr<std::unique_ptr<BodyDecoder>> body = MakeBodyDecoder(RequestHead(), input);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(ReadAll(**body).value_or("<error>"), "");
  EXPECT_TRUE((*body)->finished());
}

TEST(MakeBodyDecoderTest, RefusesAmbiguousOrUnsupportedFraming) {
  struct Case {
    HttpHeaders headers;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {{{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}},
       absl::StatusCode::kInvalidArgument},
      {{{"Transfer-Encoding", "gzip, chunked"}}, absl::StatusCode::kUnimplemented},
      {{{"Content-Length", "5"}, {"Content-Length", "6"}}, absl::StatusCode::kInvalidArgument},
      {{{"Content-Length", "-5"}}, absl::StatusCode::kInvalidArgument},
      {{{"Content-Length", "+5"}}, absl::StatusCode::kInvalidArgument},
      {{{"Content-Length", "5 5"}}, absl::StatusCode::kInvalidArgument},
      {{{"Content-Length", "99999999999999999999"}}, absl::StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    InputBuffer input(FromPieces({}));
    EXPECT_EQ(MakeBodyDecoder(RequestWithHeaders(c.headers), input).status().code(), c.code)
        << c.headers.entries()[0].second;
  }
}

TEST(ConnectionSemanticsTest, KeepAliveUnlessClosedOrHttp10) {
  RequestHead request;
  EXPECT_TRUE(WantsKeepAlive(request));
  request.headers.Add("Connection", "keep-alive, Close");
  EXPECT_FALSE(WantsKeepAlive(request));
  RequestHead old;
  old.minor_version = 0;
  EXPECT_FALSE(WantsKeepAlive(old));
}

TEST(ConnectionSemanticsTest, ExpectsContinueOnlyFor100ContinueOverHttp11) {
  RequestHead request = RequestWithHeaders({{"Expect", "100-Continue"}});
  EXPECT_TRUE(ExpectsContinue(request));
  request.minor_version = 0;
  EXPECT_FALSE(ExpectsContinue(request));
  EXPECT_FALSE(ExpectsContinue(RequestHead()));
}

}  // namespace
}  // namespace objgate::httpd
