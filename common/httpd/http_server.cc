#include "common/httpd/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/httpd/http_wire.h"
#include "common/httpd/listen_socket.h"

namespace objgate::httpd {
namespace {

// After an answer that leaves request bytes unread, keep reading (and dropping) them
// for a moment before closing: closing a socket with unread input sends a reset, which
// can destroy the answer before the client reads it.
constexpr absl::Duration kLingerTime = absl::Seconds(2);
constexpr size_t kMaxLingerBytes = 64 << 20;

absl::Status ErrnoStatus(absl::string_view what) {
  const int error = errno;
  if (error == EAGAIN || error == EWOULDBLOCK) {
    return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
  }
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(error)));
}

void SetTimeouts(int fd, absl::Duration timeout) {
  const timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

absl::StatusOr<size_t> ReceiveSome(int fd, char* buffer, size_t capacity) {
  while (true) {
    const ssize_t got = recv(fd, buffer, capacity, 0);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return ErrnoStatus("recv");
  }
}

absl::Status SendAll(int fd, std::vector<iovec> pieces) {
  size_t first = 0;
  while (first < pieces.size()) {
    msghdr message = {};
    message.msg_iov = pieces.data() + first;
    message.msg_iovlen = pieces.size() - first;
    ssize_t sent = sendmsg(fd, &message, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("send");
    }
    while (first < pieces.size() && static_cast<size_t>(sent) >= pieces[first].iov_len) {
      sent -= pieces[first].iov_len;
      ++first;
    }
    if (first < pieces.size()) {
      pieces[first].iov_base = static_cast<char*>(pieces[first].iov_base) + sent;
      pieces[first].iov_len -= sent;
    }
  }
  return absl::OkStatus();
}

iovec Piece(absl::string_view bytes) {
  return iovec{const_cast<char*>(bytes.data()), bytes.size()};
}

void CloseAfterDroppingInput(int fd) {
  shutdown(fd, SHUT_WR);
  SetTimeouts(fd, absl::Milliseconds(200));
  const absl::Time deadline = absl::Now() + kLingerTime;
  char sink[16 * 1024];
  size_t dropped = 0;
  while (absl::Now() < deadline && dropped < kMaxLingerBytes) {
    absl::StatusOr<size_t> got = ReceiveSome(fd, sink, sizeof(sink));
    if (got.ok() && *got == 0) break;
    if (!got.ok() && !absl::IsDeadlineExceeded(got.status())) break;
    if (got.ok()) dropped += *got;
  }
}

// Writes one response on the connection, holding the head back until the first body
// bytes (or the end) so that a small answer leaves in one packet.
class ConnectionWriter : public ResponseWriter {
 public:
  // `must_close` is asked once, at Begin, whether this answer ends the connection.
  ConnectionWriter(int fd, bool head_only, std::function<bool()> must_close)
      : fd_(fd), head_only_(head_only), must_close_(std::move(must_close)) {}

  absl::Status Begin(int status, const HttpHeaders& headers,
                     std::optional<uint64_t> content_length) override {
    if (status_ != 0) return absl::FailedPreconditionError("response already begun");
    status_ = status;
    closes_connection_ = must_close_();
    body_allowed_ = !head_only_ && status != 204 && status != 304;
    content_length_ = content_length;
    head_ = absl::StrFormat("HTTP/1.1 %d %s\r\n", status, HttpReasonPhrase(status));
    absl::StrAppend(&head_, "Date: ",
                    absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::Now(),
                                     absl::UTCTimeZone()),
                    "\r\n");
    for (const auto& [name, value] : headers.entries()) {
      if (value.find_first_of("\r\n") != std::string::npos) {
        failure_ = absl::InternalError(absl::StrCat("header ", name, " contains CR or LF"));
        return failure_;
      }
      absl::StrAppend(&head_, name, ": ", value, "\r\n");
    }
    if (status != 204 && status != 304) {
      if (content_length.has_value()) {
        absl::StrAppend(&head_, "Content-Length: ", *content_length, "\r\n");
      } else if (!head_only_) {
        absl::StrAppend(&head_, "Transfer-Encoding: chunked\r\n");
      }
    }
    if (closes_connection_) absl::StrAppend(&head_, "Connection: close\r\n");
    absl::StrAppend(&head_, "\r\n");
    return absl::OkStatus();
  }

  absl::Status Write(absl::string_view bytes) override {
    if (status_ == 0) return absl::FailedPreconditionError("Write before Begin");
    if (!failure_.ok()) return failure_;
    if (!body_allowed_ || bytes.empty()) return absl::OkStatus();
    if (content_length_.has_value()) {
      if (body_bytes_written_ + bytes.size() > *content_length_) {
        return absl::InternalError("body longer than its Content-Length");
      }
      failure_ = SendWithHead({Piece(bytes)});
    } else {
      // An empty chunk would end the body, hence the early return above.
      const std::string size_line = absl::StrFormat("%x\r\n", bytes.size());
      failure_ = SendWithHead({Piece(size_line), Piece(bytes), Piece("\r\n")});
    }
    if (failure_.ok()) body_bytes_written_ += bytes.size();
    return failure_;
  }

  int status() const override { return status_; }
  uint64_t body_bytes_written() const override { return body_bytes_written_; }
  bool started() const { return status_ != 0; }
  bool closes_connection() const { return closes_connection_; }

  // Ends the message. An error means the framing is broken and the connection must go.
  absl::Status Finish() {
    if (!failure_.ok()) return failure_;
    if (body_allowed_ && !content_length_.has_value()) {
      failure_ = SendWithHead({Piece("0\r\n\r\n")});
    } else if (!head_.empty()) {
      failure_ = SendWithHead({});
    }
    if (!failure_.ok()) return failure_;
    if (body_allowed_ && content_length_.has_value() &&
        body_bytes_written_ != *content_length_) {
      return absl::DataLossError("body shorter than its Content-Length");
    }
    return absl::OkStatus();
  }

 private:
  absl::Status SendWithHead(std::vector<iovec> pieces) {
    if (!head_.empty()) pieces.insert(pieces.begin(), Piece(head_));
    absl::Status sent = SendAll(fd_, std::move(pieces));
    head_.clear();
    return sent;
  }

  const int fd_;
  const bool head_only_;
  const std::function<bool()> must_close_;
  int status_ = 0;
  bool closes_connection_ = false;
  bool body_allowed_ = true;
  std::optional<uint64_t> content_length_;
  std::string head_;
  uint64_t body_bytes_written_ = 0;
  absl::Status failure_;
};

// The body as the handler reads it: counts bytes and sends "100 Continue" on demand.
class ConnectionBody : public BodyReader {
 public:
  ConnectionBody(int fd, std::unique_ptr<BodyDecoder> decoder, bool expects_continue,
                 const ConnectionWriter& writer)
      : fd_(fd),
        decoder_(std::move(decoder)),
        awaiting_continue_(expects_continue),
        writer_(writer) {}

  absl::StatusOr<size_t> Read(absl::Span<char> buffer) override {
    if (awaiting_continue_ && !decoder_->finished()) {
      awaiting_continue_ = false;
      // Once the final answer has begun, the client must not be invited to send.
      if (writer_.started()) return absl::FailedPreconditionError("response already begun");
      absl::Status sent = SendAll(fd_, {Piece("HTTP/1.1 100 Continue\r\n\r\n")});
      if (!sent.ok()) return sent;
    }
    absl::StatusOr<size_t> got = decoder_->Read(buffer);
    if (got.ok()) bytes_read_ += *got;
    return got;
  }
  std::optional<uint64_t> declared_size() const override { return decoder_->declared_size(); }
  uint64_t bytes_read() const override { return bytes_read_; }
  bool finished() const { return decoder_->finished(); }

 private:
  const int fd_;
  const std::unique_ptr<BodyDecoder> decoder_;
  bool awaiting_continue_;
  const ConnectionWriter& writer_;
  uint64_t bytes_read_ = 0;
};

// The answer to a request the server could not parse, or 0 to close without one.
int StatusForWireError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kResourceExhausted: return 431;
    case absl::StatusCode::kUnimplemented: return 501;
    default: return 0;
  }
}

void SendWireError(int fd, const absl::Status& status) {
  const int http_status = StatusForWireError(status);
  if (http_status == 0) return;
  ConnectionWriter writer(fd, /*head_only=*/false, [] { return true; });
  writer.Send(http_status, {{"Content-Type", "application/json"}}, ErrorJson(status.message()))
      .IgnoreError();
  writer.Finish().IgnoreError();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler handler) {
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("max_connections must be at least 1");
  }
  absl::StatusOr<int> listen_fd = ListenTcp(options.host, options.port);
  if (!listen_fd.ok()) return listen_fd.status();
  auto [host, port] = BoundAddress(*listen_fd);
  std::unique_ptr<HttpServer> server(
      new HttpServer(options, std::move(handler), *listen_fd, std::move(host), port));
  server->accept_thread_ = std::thread(&HttpServer::AcceptLoop, server.get());
  return server;
}

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler handler, int listen_fd,
                       std::string host, uint16_t port)
    : options_(options),
      handler_(std::move(handler)),
      listen_fd_(listen_fd),
      host_(std::move(host)),
      port_(port) {}

HttpServer::~HttpServer() { Stop(); }

std::string HttpServer::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return absl::StrCat("http://", v6 ? "[" : "", host_, v6 ? "]" : "", ":", port_);
}

bool ParseListenAddress(absl::string_view text, HttpServerOptions& options) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = text.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) return false;
  uint32_t port = 0;
  if (host.empty() || !absl::SimpleAtoi(text.substr(colon + 1), &port) || port > 65535) {
    return false;
  }
  options.host = std::string(host);
  options.port = static_cast<uint16_t>(port);
  return true;
}

void HttpServer::AcceptLoop() {
  while (true) {
    JoinFinishedThreads();
    {
      absl::MutexLock lock(&mu_);
      auto has_room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || connections_.size() < static_cast<size_t>(options_.max_connections);
      };
      mu_.Await(absl::Condition(&has_room));
      if (stopping_) return;
    }
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      // Out of descriptors or a connection reset while queued: try again shortly.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(50));
      }
      continue;
    }
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    SetTimeouts(fd, options_.io_timeout);
    absl::MutexLock lock(&mu_);
    const uint64_t id = next_id_++;
    Connection& connection = connections_[id];
    connection.fd = fd;
    connection.thread = std::thread(&HttpServer::Serve, this, id, fd);
  }
}

bool HttpServer::SetBusy(uint64_t id, bool busy) {
  absl::MutexLock lock(&mu_);
  connections_[id].busy = busy;
  return busy || !stopping_;
}

void HttpServer::Serve(uint64_t id, int fd) {
  InputBuffer input(
      [fd](char* buffer, size_t capacity) { return ReceiveSome(fd, buffer, capacity); });
  bool unread_input = false;
  while (true) {
    absl::StatusOr<std::string> head = input.ReadUntil("\r\n\r\n", options_.max_head_bytes);
    if (!head.ok()) {
      SendWireError(fd, head.status());
      unread_input = absl::IsResourceExhausted(head.status());
      break;
    }
    SetBusy(id, true);
    absl::StatusOr<RequestHead> request = ParseRequestHead(*head);
    absl::StatusOr<std::unique_ptr<BodyDecoder>> decoder =
        request.ok() ? MakeBodyDecoder(*request, input) : request.status();
    if (!decoder.ok()) {
      SendWireError(fd, decoder.status());
      unread_input = true;
      break;
    }
    const bool keep_alive = WantsKeepAlive(*request);
    ConnectionBody* body_ptr = nullptr;
    ConnectionWriter writer(fd, request->method == "HEAD", [&] {
      absl::MutexLock lock(&mu_);
      return !keep_alive || stopping_ || !body_ptr->finished();
    });
    ConnectionBody body(fd, *std::move(decoder), ExpectsContinue(*request), writer);
    body_ptr = &body;
    handler_(*request, body, writer);
    if (!writer.started()) {
      writer.Send(500, {{"Content-Type", "application/json"}},
                  ErrorJson("the handler sent no response"))
          .IgnoreError();
    }
    const bool clean = writer.Finish().ok();
    unread_input = !body.finished();
    if (!clean || writer.closes_connection() || !SetBusy(id, false)) break;
  }
  if (unread_input) CloseAfterDroppingInput(fd);
  {
    absl::MutexLock lock(&mu_);
    finished_.push_back(std::move(connections_[id].thread));
    connections_.erase(id);
  }
  close(fd);
}

void HttpServer::JoinFinishedThreads() {
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&mu_);
    finished.swap(finished_);
  }
  for (std::thread& thread : finished) thread.join();
}

void HttpServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  // Wakes accept(); the descriptor stays open until the accept thread is gone.
  shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  close(listen_fd_);
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, connection] : connections_) {
      if (!connection.busy) shutdown(connection.fd, SHUT_RDWR);
    }
    auto all_closed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return connections_.empty();
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&all_closed), options_.shutdown_grace)) {
      for (const auto& [id, connection] : connections_) shutdown(connection.fd, SHUT_RDWR);
      mu_.Await(absl::Condition(&all_closed));
    }
  }
  JoinFinishedThreads();
}

}  // namespace objgate::httpd
