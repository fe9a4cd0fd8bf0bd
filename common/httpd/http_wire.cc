#include "common/httpd/http_wire.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/url_encoding.h"

namespace objgate::httpd {
namespace {

constexpr size_t kFillBytes = 16 * 1024;
constexpr size_t kMaxChunkSizeLineBytes = 4096;
constexpr size_t kMaxTrailerBytes = 16 * 1024;

// RFC 9110 5.6.2: the characters allowed in a method or a header name.
bool IsToken(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) continue;
    if (c == '\0' || std::strchr("!#$%&'*+-.^_`|~", c) == nullptr) return false;
  }
  return true;
}

absl::string_view TrimOptionalWhitespace(absl::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ParseQuery(
    absl::string_view query) {
  absl::flat_hash_map<std::string, std::string> params;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    absl::StatusOr<std::string> name = PercentDecode(name_value.first, true);
    if (!name.ok()) return name.status();
    absl::StatusOr<std::string> value = PercentDecode(name_value.second, true);
    if (!value.ok()) return value.status();
    if (!params.emplace(*std::move(name), *std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter ", name_value.first, " is given more than once"));
    }
  }
  return params;
}

absl::Status ParseHeaderLine(absl::string_view line, HttpHeaders& headers) {
  if (line.front() == ' ' || line.front() == '\t') {
    return absl::InvalidArgumentError("folded header lines are not accepted");
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
    return absl::InvalidArgumentError("malformed header line");
  }
  absl::string_view value = TrimOptionalWhitespace(line.substr(colon + 1));
  if (value.find_first_of(absl::string_view("\r\n\0", 3)) != absl::string_view::npos) {
    return absl::InvalidArgumentError("header value contains CR, LF or NUL");
  }
  headers.Add(std::string(line.substr(0, colon)), std::string(value));
  return absl::OkStatus();
}

class ContentLengthDecoder : public BodyDecoder {
 public:
  ContentLengthDecoder(InputBuffer& input, uint64_t length)
      : input_(input), length_(length), remaining_(length) {}

  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    if (remaining_ == 0 || buffer.empty()) return 0;
    absl::StatusOr<size_t> got = input_.ReadSome(
        buffer.data(), static_cast<size_t>(std::min<uint64_t>(buffer.size(), remaining_)));
    if (!got.ok()) return got.status();
    if (*got == 0) {
      return absl::UnavailableError(absl::StrCat("connection closed after ",
                                                 length_ - remaining_, " of ", length_,
                                                 " body bytes"));
    }
    remaining_ -= *got;
    return *got;
  }
  std::optional<uint64_t> declared_size() const override { return length_; }
  bool finished() const override { return remaining_ == 0; }

 private:
  InputBuffer& input_;
  const uint64_t length_;
  uint64_t remaining_;
};

class ChunkedDecoder : public BodyDecoder {
 public:
  explicit ChunkedDecoder(InputBuffer& input) : input_(input) {}

  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    if (!failure_.ok()) return failure_;
    if (buffer.empty()) return 0;
    absl::StatusOr<size_t> got = ReadInternal(buffer.data(), buffer.size());
    if (!got.ok()) failure_ = got.status();
    return got;
  }
  std::optional<uint64_t> declared_size() const override { return std::nullopt; }
  bool finished() const override { return state_ == State::kDone; }

 private:
  enum class State { kSizeLine, kData, kDataEnd, kDone };

  absl::StatusOr<size_t> ReadInternal(char* buffer, size_t capacity) {
    while (true) {
      switch (state_) {
        case State::kDone:
          return 0;
        case State::kSizeLine: {
          absl::Status status = ReadSizeLine();
          if (!status.ok()) return status;
          break;
        }
        case State::kData: {
          absl::StatusOr<size_t> got = input_.ReadSome(
              buffer, static_cast<size_t>(std::min<uint64_t>(capacity, chunk_remaining_)));
          if (!got.ok()) return got.status();
          if (*got == 0) {
            return absl::UnavailableError("connection closed inside a chunk");
          }
          chunk_remaining_ -= *got;
          if (chunk_remaining_ == 0) state_ = State::kDataEnd;
          return *got;
        }
        case State::kDataEnd: {
          absl::StatusOr<std::string> line = input_.ReadUntil("\r\n", 0);
          if (!line.ok()) return Malformed(line.status(), "chunk data is not followed by CRLF");
          state_ = State::kSizeLine;
          break;
        }
      }
    }
  }

  absl::Status ReadSizeLine() {
    absl::StatusOr<std::string> line = input_.ReadUntil("\r\n", kMaxChunkSizeLineBytes);
    if (!line.ok()) return Malformed(line.status(), "chunk size line is too long");
    // Chunk extensions carry nothing this server uses.
    absl::string_view size_text =
        TrimOptionalWhitespace(absl::string_view(*line).substr(0, line->find(';')));
    uint64_t size = 0;
    if (size_text.empty() || size_text.size() > 15 ||
        !std::all_of(size_text.begin(), size_text.end(),
                     [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); }) ||
        !absl::SimpleHexAtoi(size_text, &size)) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed chunked body: bad chunk size \"",
                       absl::CEscape(size_text.substr(0, 32)), "\""));
    }
    if (size > 0) {
      chunk_remaining_ = size;
      state_ = State::kData;
      return absl::OkStatus();
    }
    return SkipTrailers();
  }

  absl::Status SkipTrailers() {
    size_t trailer_bytes = 0;
    while (true) {
      absl::StatusOr<std::string> line =
          input_.ReadUntil("\r\n", kMaxTrailerBytes - trailer_bytes);
      if (!line.ok()) return Malformed(line.status(), "trailer section is too long");
      if (line->empty()) break;
      trailer_bytes += line->size() + 2;
    }
    state_ = State::kDone;
    return absl::OkStatus();
  }

  // A chunked body ends only at its last chunk, so running out of bytes is a broken
  // connection, and an over-long line is a malformed body, not a large header.
  static absl::Status Malformed(const absl::Status& status, absl::string_view too_long) {
    if (absl::IsResourceExhausted(status)) {
      return absl::InvalidArgumentError(absl::StrCat("malformed chunked body: ", too_long));
    }
    if (absl::IsOutOfRange(status)) {
      return absl::UnavailableError("connection closed inside a chunked body");
    }
    return status;
  }

  InputBuffer& input_;
  State state_ = State::kSizeLine;
  uint64_t chunk_remaining_ = 0;
  absl::Status failure_;
};

class EmptyBody : public BodyDecoder {
 public:
  absl::StatusOr<size_t> Read(absl::Span<char>) override { return 0; }
  std::optional<uint64_t> declared_size() const override { return 0; }
  bool finished() const override { return true; }
};

absl::StatusOr<uint64_t> ParseContentLength(const std::vector<absl::string_view>& values) {
  std::optional<uint64_t> length;
  for (absl::string_view value : values) {
    uint64_t parsed = 0;
    // At most 18 digits keeps every accepted value far from overflow.
    if (value.empty() || value.size() > 18 ||
        !std::all_of(value.begin(), value.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
        !absl::SimpleAtoi(value, &parsed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed Content-Length \"", absl::CEscape(value.substr(0, 32)), "\""));
    }
    if (length.has_value() && *length != parsed) {
      return absl::InvalidArgumentError("conflicting Content-Length headers");
    }
    length = parsed;
  }
  return *length;
}

}  // namespace

absl::Status InputBuffer::Fill(size_t max_bytes) {
  if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  const size_t old_size = buffer_.size();
  const size_t want = std::max<size_t>(1, std::min(kFillBytes, max_bytes));
  buffer_.resize(old_size + want);
  absl::StatusOr<size_t> got = raw_read_(buffer_.data() + old_size, want);
  buffer_.resize(old_size + (got.ok() ? *got : 0));
  if (!got.ok()) return got.status();
  if (*got == 0) {
    if (old_size == 0) return absl::OutOfRangeError("connection closed");
    return absl::UnavailableError("connection closed in the middle of a message");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> InputBuffer::ReadUntil(absl::string_view delimiter,
                                                   size_t max_bytes) {
  const size_t limit = max_bytes + delimiter.size();
  size_t searched = 0;  // Bytes after start_ known not to begin a delimiter.
  while (true) {
    const size_t found = buffer_.find(delimiter.data(), start_ + searched, delimiter.size());
    if (found != std::string::npos && found - start_ <= max_bytes) {
      std::string line = buffer_.substr(start_, found - start_);
      start_ = found + delimiter.size();
      return line;
    }
    const size_t buffered = buffer_.size() - start_;
    if (found != std::string::npos || buffered >= limit) {
      return absl::ResourceExhaustedError(
          absl::StrCat("no delimiter within ", max_bytes, " bytes"));
    }
    // Only the tail can begin a delimiter that the next bytes complete.
    searched = buffered >= delimiter.size() ? buffered - delimiter.size() + 1 : 0;
    absl::Status filled = Fill(limit - buffered);
    if (!filled.ok()) return filled;
  }
}

absl::StatusOr<size_t> InputBuffer::ReadSome(char* buffer, size_t capacity) {
  const size_t buffered = buffer_.size() - start_;
  if (buffered == 0) return raw_read_(buffer, capacity);
  const size_t n = std::min(capacity, buffered);
  std::memcpy(buffer, buffer_.data() + start_, n);
  start_ += n;
  return n;
}

absl::StatusOr<RequestHead> ParseRequestHead(absl::string_view head) {
  // RFC 9112 2.2: a server ignores empty lines received before the request line.
  while (absl::ConsumePrefix(&head, "\r\n")) {
  }
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || !IsToken(parts[0]) || !absl::StartsWith(parts[1], "/")) {
    return absl::InvalidArgumentError("malformed request line");
  }
  RequestHead request;
  request.method = std::string(parts[0]);
  if (parts[2] == "HTTP/1.1") {
    request.minor_version = 1;
  } else if (parts[2] == "HTTP/1.0") {
    request.minor_version = 0;
  } else {
    return absl::InvalidArgumentError("unsupported HTTP version");
  }
  std::pair<absl::string_view, absl::string_view> path_query =
      absl::StrSplit(parts[1], absl::MaxSplits('?', 1));
  absl::StatusOr<std::string> path = PercentDecode(path_query.first, false);
  if (!path.ok()) return path.status();
  request.path = *std::move(path);
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> query =
      ParseQuery(path_query.second);
  if (!query.ok()) return query.status();
  request.query = *std::move(query);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) return absl::InvalidArgumentError("empty header line");
    absl::Status status = ParseHeaderLine(lines[i], request.headers);
    if (!status.ok()) return status;
  }
  return request;
}

bool WantsKeepAlive(const RequestHead& request) {
  if (request.minor_version < 1) return false;
  for (absl::string_view value : request.headers.GetAll("Connection")) {
    for (absl::string_view token : absl::StrSplit(value, ',')) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(token), "close")) return false;
    }
  }
  return true;
}

bool ExpectsContinue(const RequestHead& request) {
  std::optional<absl::string_view> expect = request.headers.Get("Expect");
  return request.minor_version >= 1 && expect.has_value() &&
         absl::EqualsIgnoreCase(*expect, "100-continue");
}

absl::StatusOr<std::unique_ptr<BodyDecoder>> MakeBodyDecoder(const RequestHead& request,
                                                             InputBuffer& input) {
  std::vector<absl::string_view> transfer_encodings =
      request.headers.GetAll("Transfer-Encoding");
  std::vector<absl::string_view> content_lengths = request.headers.GetAll("Content-Length");
  if (!transfer_encodings.empty()) {
    if (!content_lengths.empty()) {
      return absl::InvalidArgumentError(
          "a request may not carry both Transfer-Encoding and Content-Length");
    }
    if (transfer_encodings.size() != 1 ||
        !absl::EqualsIgnoreCase(transfer_encodings[0], "chunked")) {
      return absl::UnimplementedError("the only supported Transfer-Encoding is chunked");
    }
    return std::make_unique<ChunkedDecoder>(input);
  }
  if (content_lengths.empty()) return std::make_unique<EmptyBody>();
  absl::StatusOr<uint64_t> length = ParseContentLength(content_lengths);
  if (!length.ok()) return length.status();
  return std::make_unique<ContentLengthDecoder>(input, *length);
}

}  // namespace objgate::httpd
