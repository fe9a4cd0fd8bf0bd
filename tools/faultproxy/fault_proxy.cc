#include "tools/faultproxy/fault_proxy.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/httpd/listen_socket.h"

namespace objgate::faultproxy {
namespace {

using httpd::BodyDecoder;

using httpd::RequestHead;
using httpd::InputBuffer;

constexpr absl::string_view kControlPrefix = "/__faults/";
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kRelayBufferBytes = 64 * 1024;
constexpr size_t kMaxControlBodyBytes = 1 << 20;
constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
// How long a reset waits for the bytes before it to reach the peer.
constexpr absl::Duration kDrainBeforeReset = absl::Seconds(2);

// Headers that describe one hop, not the message, and so are never relayed: the proxy
// frames each body itself and handles "Expect: 100-continue" with the client.
constexpr absl::string_view kHopByHopHeaders[] = {
    "Connection",        "Keep-Alive", "Proxy-Connection", "TE",    "Trailer",
    "Transfer-Encoding", "Upgrade",    "Content-Length",   "Expect"};

bool IsHopByHop(absl::string_view name) {
  return std::any_of(std::begin(kHopByHopHeaders), std::end(kHopByHopHeaders),
                     [name](absl::string_view hop) { return absl::EqualsIgnoreCase(name, hop); });
}

// How a body travels on one hop.
struct Framing {
  enum class Kind {
    // No body follows; a Content-Length in the head describes another message (the
    // answer to HEAD) and is relayed as it is.
    kNoBody,
    kLength,
    kChunked,
  };
  Kind kind = Kind::kNoBody;
  uint64_t length = 0;

  static Framing Of(const BodyDecoder& body) {
    std::optional<uint64_t> size = body.declared_size();
    return size ? Framing{Kind::kLength, *size} : Framing{Kind::kChunked, 0};
  }
  static Framing Length(uint64_t length) { return {Kind::kLength, length}; }
};

std::string MessageHead(absl::string_view start_line, const HttpHeaders& headers,
                        const Framing& framing, bool close) {
  std::string head = absl::StrCat(start_line, "\r\n");
  for (const auto& [name, value] : headers.entries()) {
    const bool relayed_length =
        framing.kind == Framing::Kind::kNoBody && absl::EqualsIgnoreCase(name, "Content-Length");
    if (IsHopByHop(name) && !relayed_length) continue;
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  if (framing.kind == Framing::Kind::kLength) {
    absl::StrAppend(&head, "Content-Length: ", framing.length, "\r\n");
  } else if (framing.kind == Framing::Kind::kChunked) {
    absl::StrAppend(&head, "Transfer-Encoding: chunked\r\n");
  }
  if (close) absl::StrAppend(&head, "Connection: close\r\n");
  absl::StrAppend(&head, "\r\n");
  return head;
}

std::string StatusLine(int status) {
  return absl::StrFormat("HTTP/1.1 %d %s", status, httpd::HttpReasonPhrase(status));
}

// Sends a whole answer held in memory.
absl::Status SendAnswer(int fd, int status, const HttpHeaders& headers, absl::string_view body,
                        bool close) {
  return SendAll(
      fd, absl::StrCat(
              MessageHead(StatusLine(status), headers, Framing::Length(body.size()), close), body));
}

absl::Status SendJson(int fd, int status, absl::string_view json, bool close) {
  return SendAnswer(fd, status, {{"Content-Type", "application/json"}}, json, close);
}

// Writes a body in the framing its head announced.
class BodyWriter {
 public:
  BodyWriter(int fd, const Framing& framing) : fd_(fd), framing_(framing) {}

  absl::Status Write(absl::string_view bytes) {
    // An empty chunk would end a chunked body.
    if (bytes.empty()) return absl::OkStatus();
    if (framing_.kind != Framing::Kind::kChunked) return SendAll(fd_, bytes);
    return SendAll(fd_, absl::StrCat(absl::Hex(bytes.size()), "\r\n", bytes, "\r\n"));
  }

  absl::Status Finish() {
    if (framing_.kind != Framing::Kind::kChunked) return absl::OkStatus();
    return SendAll(fd_, "0\r\n\r\n");
  }

 private:
  const int fd_;
  const Framing framing_;
};

struct RelayResult {
  uint64_t bytes = 0;
  // A failure to read means the sending side broke; to write, the receiving side.
  absl::Status read_status;
  absl::Status write_status;
};

// Copies `source` to `write` until the source ends, either side fails, or `limit` bytes
// have passed.
RelayResult Relay(ByteSource& source,
                  const std::function<absl::Status(absl::string_view)>& write, uint64_t limit) {
  RelayResult result;
  std::string buffer(kRelayBufferBytes, '\0');
  while (result.bytes < limit) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(buffer.size(), limit - result.bytes));
    absl::StatusOr<size_t> got = source.Read(absl::MakeSpan(buffer.data(), want));
    if (!got.ok()) {
      result.read_status = got.status();
      break;
    }
    if (*got == 0) break;
    result.write_status = write(absl::string_view(buffer.data(), *got));
    if (!result.write_status.ok()) break;
    result.bytes += *got;
  }
  return result;
}

// Invites a client that sent "Expect: 100-continue" to send its body.
absl::Status ContinueIfExpected(int client_fd, const RequestHead& request,
                                const BodyDecoder& body) {
  if (!httpd::ExpectsContinue(request) || body.finished()) return absl::OkStatus();
  return SendAll(client_fd, "HTTP/1.1 100 Continue\r\n\r\n");
}

// The request target as the client wrote it; RequestHead only has it decoded.
absl::string_view RequestTarget(absl::string_view head) {
  while (absl::ConsumePrefix(&head, "\r\n")) {
  }
  const std::vector<absl::string_view> parts =
      absl::StrSplit(head.substr(0, head.find("\r\n")), ' ');
  return parts[1];  // ParseRequestHead has checked that the line has three parts.
}

absl::string_view RawQuery(absl::string_view target) {
  const size_t question = target.find('?');
  return question == absl::string_view::npos ? "" : target.substr(question + 1);
}

struct ResponseHead {
  int status = 0;
  std::string status_line;
  // The header fields, in an RequestHead so that the request-side body decoders read them.
  RequestHead fields;
};

absl::StatusOr<ResponseHead> ParseResponseHead(absl::string_view head) {
  const size_t line_end = std::min(head.find("\r\n"), head.size());
  ResponseHead response;
  response.status_line = std::string(head.substr(0, line_end));
  const std::vector<absl::string_view> parts =
      absl::StrSplit(response.status_line, absl::MaxSplits(' ', 2));
  if (parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/1.") || parts[1].size() != 3 ||
      !absl::SimpleAtoi(parts[1], &response.status) || response.status < 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed status line from the upstream: ", response.status_line));
  }
  // Header sections have one grammar in requests and responses: parse this one with the
  // request parser, behind a placeholder request line, rather than keep a second parser.
  absl::StatusOr<RequestHead> fields =
      httpd::ParseRequestHead(absl::StrCat("GET / HTTP/1.1", head.substr(line_end)));
  if (!fields.ok()) return fields.status();
  response.fields = *std::move(fields);
  return response;
}

bool AnswerHasBody(absl::string_view request_method, int status) {
  return request_method != "HEAD" && status >= 200 && status != 204 && status != 304;
}

}  // namespace

// One request relayed, or faulted, for a client connection.
class FaultProxy::Exchange {
 public:
  Exchange(FaultProxy& proxy, uint64_t connection_id, int client_fd, const RequestHead& request,
           absl::string_view target, BodyDecoder& body, const std::optional<FaultRule>& rule,
           ExchangeOutcome& outcome)
      : proxy_(proxy),
        connection_id_(connection_id),
        client_fd_(client_fd),
        request_(request),
        target_(target),
        body_(body),
        rule_(rule),
        action_(rule ? rule->action : FaultAction::kForward),
        outcome_(outcome) {}

  ~Exchange() {
    if (upstream_fd_ >= 0) proxy_.CloseUpstream(connection_id_, upstream_fd_);
  }

  // Returns whether the client connection may carry another request.
  bool Run() {
    if (rule_ && rule_->delay > absl::ZeroDuration() &&
        WaitForPeerToClose(client_fd_, rule_->delay)) {
      outcome_.client_closed = true;
      return false;
    }
    switch (action_) {
      case FaultAction::kRespond: {
        if (!ReadRequestBody(nullptr, kNoLimit)) return false;
        HttpHeaders headers;
        for (const auto& [name, value] : rule_->headers) headers.Add(name, value);
        return Answer(rule_->status, headers, rule_->body);
      }
      case FaultAction::kResetBeforeResponse:
        if (rule_->forward_first) return Forward();
        if (ReadRequestBody(nullptr, kNoLimit)) ResetOnClose(client_fd_);
        return false;
      default:
        return Forward();
    }
  }

 private:
  bool Forward() {
    absl::StatusOr<int> upstream = proxy_.ConnectUpstream(connection_id_);
    if (!upstream.ok()) {
      // Read the body first so that the connection stays usable for the next request.
      if (!ReadRequestBody(nullptr, kNoLimit)) return false;
      return Answer(502, {{"Content-Type", "application/json"}},
                    httpd::ErrorJson(absl::StrCat("faultproxy: ", upstream.status().message())));
    }
    upstream_fd_ = *upstream;

    const Framing request_framing = Framing::Of(body_);
    absl::Status sent =
        SendAll(upstream_fd_, MessageHead(absl::StrCat(request_.method, " ", target_, " HTTP/1.1"),
                                          request_.headers, request_framing, /*close=*/true));
    if (!sent.ok()) return BadGateway(sent);
    BodyWriter to_upstream(upstream_fd_, request_framing);
    if (action_ == FaultAction::kResetAfterRequestBytes) {
      if (ReadRequestBody(&to_upstream, rule_->bytes)) {
        ResetOnClose(upstream_fd_);
        ResetOnClose(client_fd_);
      }
      return false;
    }
    // An upstream that stops taking the body early may still answer (a refusal): if
    // sending fails, go on to read its answer.
    if (!ReadRequestBody(&to_upstream, kNoLimit)) return false;
    to_upstream.Finish().IgnoreError();

    InputBuffer from_upstream([fd = upstream_fd_](char* buffer, size_t capacity) {
      return ReceiveSome(fd, buffer, capacity);
    });
    absl::StatusOr<std::string> head = from_upstream.ReadUntil("\r\n\r\n", kMaxHeadBytes);
    if (!head.ok()) return BadGateway(head.status());
    absl::StatusOr<ResponseHead> response = ParseResponseHead(*head);
    if (!response.ok()) return BadGateway(response.status());
    const bool has_body = AnswerHasBody(request_.method, response->status);
    // An answer framed by the end of the connection cannot be faulted at a byte offset,
    // and the reference store never sends one.
    if (has_body && !response->fields.headers.Get("Content-Length") &&
        !response->fields.headers.Get("Transfer-Encoding")) {
      return BadGateway(absl::UnimplementedError(
          "the upstream answered without Content-Length or chunked framing"));
    }
    absl::StatusOr<std::unique_ptr<BodyDecoder>> response_body =
        httpd::MakeBodyDecoder(has_body ? response->fields : RequestHead(), from_upstream);
    if (!response_body.ok()) return BadGateway(response_body.status());

    if (action_ == FaultAction::kResetBeforeResponse) {
      ResetOnClose(client_fd_);
      return false;
    }
    const bool keep_alive = httpd::WantsKeepAlive(request_) && body_.finished();
    outcome_.status = response->status;
    if (action_ == FaultAction::kReplaceBody) {
      outcome_.response_body_bytes = rule_->body.size();
      return Delivered(SendAnswer(client_fd_, response->status, response->fields.headers,
                                  rule_->body, !keep_alive)) &&
             keep_alive;
    }
    const Framing response_framing =
        has_body ? Framing::Of(**response_body) : Framing{Framing::Kind::kNoBody, 0};
    if (!Delivered(SendAll(client_fd_, MessageHead(response->status_line, response->fields.headers,
                                                   response_framing, !keep_alive)))) {
      return false;
    }
    BodyWriter to_client(client_fd_, response_framing);
    const bool faults_body = action_ == FaultAction::kResetAfterBodyBytes ||
                             action_ == FaultAction::kStallAfterBodyBytes ||
                             action_ == FaultAction::kCloseAfterBodyBytes;
    const RelayResult relayed = Relay(
        **response_body, [&](absl::string_view bytes) { return to_client.Write(bytes); },
        faults_body ? rule_->bytes : kNoLimit);
    outcome_.response_body_bytes = relayed.bytes;
    if (!Delivered(relayed.write_status)) return false;
    // The upstream broke off: pass the break on by closing, leaving the body short.
    if (!relayed.read_status.ok()) return false;
    switch (action_) {
      case FaultAction::kResetAfterBodyBytes:
        WaitForSendQueueToDrain(client_fd_, kDrainBeforeReset);
        ResetOnClose(client_fd_);
        return false;
      case FaultAction::kCloseAfterBodyBytes:
        shutdown(client_fd_, SHUT_WR);
        return false;
      case FaultAction::kStallAfterBodyBytes:
        outcome_.client_closed = WaitForPeerToClose(client_fd_, absl::InfiniteDuration());
        return false;
      default:
        return Delivered(to_client.Finish()) && keep_alive;
    }
  }

  // Reads the request body from the client, sending the first `limit` bytes to `upstream`
  // (or nowhere when null). Returns false when the client broke off; a failure to send
  // upstream only stops the sending.
  bool ReadRequestBody(BodyWriter* upstream, uint64_t limit) {
    if (!Delivered(ContinueIfExpected(client_fd_, request_, body_))) return false;
    const RelayResult read = Relay(
        body_,
        [&upstream](absl::string_view bytes) {
          if (upstream != nullptr && !upstream->Write(bytes).ok()) upstream = nullptr;
          return absl::OkStatus();
        },
        limit);
    outcome_.request_body_bytes = read.bytes;
    return Delivered(read.read_status);
  }

  // Answers from the proxy itself once the request body has been read.
  bool Answer(int status, const HttpHeaders& headers, absl::string_view body) {
    const bool keep_alive = httpd::WantsKeepAlive(request_);
    outcome_.status = status;
    outcome_.response_body_bytes = body.size();
    return Delivered(SendAnswer(client_fd_, status, headers, body, !keep_alive)) && keep_alive;
  }

  // The upstream failed before its answer began: say so, as a gateway does.
  bool BadGateway(const absl::Status& status) {
    outcome_.status = 502;
    Delivered(SendJson(
        client_fd_, 502,
        httpd::ErrorJson(absl::StrCat("faultproxy: upstream failed: ", status.message())),
        /*close=*/true));
    return false;
  }

  // Notes a client that went away; returns whether `status` is OK.
  bool Delivered(const absl::Status& status) {
    if (!status.ok()) outcome_.client_closed = true;
    return status.ok();
  }

  FaultProxy& proxy_;
  const uint64_t connection_id_;
  const int client_fd_;
  const RequestHead& request_;
  const absl::string_view target_;
  BodyDecoder& body_;
  const std::optional<FaultRule>& rule_;
  const FaultAction action_;
  ExchangeOutcome& outcome_;
  int upstream_fd_ = -1;
};

absl::StatusOr<std::unique_ptr<FaultProxy>> FaultProxy::Start(const FaultProxyOptions& options) {
  absl::StatusOr<int> listen_fd = httpd::ListenTcp(options.listen.host, options.listen.port);
  if (!listen_fd.ok()) return listen_fd.status();
  std::unique_ptr<FaultProxy> proxy(new FaultProxy(options, *listen_fd));
  proxy->accept_thread_ = std::thread(&FaultProxy::AcceptLoop, proxy.get());
  return proxy;
}

FaultProxy::FaultProxy(const FaultProxyOptions& options, int listen_fd)
    : options_(options), listen_fd_(listen_fd), endpoint_(BoundEndpoint(listen_fd)) {}

Endpoint FaultProxy::BoundEndpoint(int fd) {
  auto [host, port] = httpd::BoundAddress(fd);
  return Endpoint{std::move(host), port};
}

FaultProxy::~FaultProxy() { Stop(); }

void FaultProxy::AcceptLoop() {
  while (true) {
    JoinFinishedThreads();
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      if (fd >= 0) close(fd);
      return;
    }
    if (fd < 0) {
      // Out of descriptors, or a connection reset while queued: try again shortly.
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(50));
      continue;
    }
    const uint64_t id = next_id_++;
    Connection& connection = connections_[id];
    connection.client_fd = fd;
    connection.thread = std::thread(&FaultProxy::Serve, this, id, fd);
  }
}

void FaultProxy::Serve(uint64_t id, int client_fd) {
  InputBuffer input([client_fd](char* buffer, size_t capacity) {
    return ReceiveSome(client_fd, buffer, capacity);
  });
  bool keep_alive = true;
  while (keep_alive) {
    // Ends quietly when the client closes between requests.
    absl::StatusOr<std::string> head = input.ReadUntil("\r\n\r\n", kMaxHeadBytes);
    if (!head.ok()) break;
    absl::StatusOr<RequestHead> request = httpd::ParseRequestHead(*head);
    absl::StatusOr<std::unique_ptr<BodyDecoder>> body =
        request.ok() ? httpd::MakeBodyDecoder(*request, input) : request.status();
    if (!body.ok()) {
      SendJson(client_fd, 400, httpd::ErrorJson(body.status().message()), /*close=*/true)
          .IgnoreError();
      break;
    }
    keep_alive = absl::StartsWith(request->path, kControlPrefix)
                     ? ServeControl(client_fd, *request, **body)
                     : ServeProxied(id, client_fd, *request, RequestTarget(*head), **body);
  }
  {
    absl::MutexLock lock(&mu_);
    finished_.push_back(std::move(connections_[id].thread));
    connections_.erase(id);
  }
  close(client_fd);
}

bool FaultProxy::ServeControl(int client_fd, const RequestHead& request, BodyDecoder& body) {
  if (!ContinueIfExpected(client_fd, request, body).ok()) return false;
  std::string text;
  const RelayResult read = Relay(
      body,
      [&text](absl::string_view bytes) {
        text.append(bytes.data(), bytes.size());
        return absl::OkStatus();
      },
      kMaxControlBodyBytes + 1);
  if (!read.read_status.ok()) return false;
  if (!body.finished()) {
    SendJson(client_fd, 413, httpd::ErrorJson("control request body too large"), true)
        .IgnoreError();
    return false;
  }

  const bool keep_alive = httpd::WantsKeepAlive(request);
  const absl::string_view route = absl::string_view(request.path).substr(kControlPrefix.size());
  int status = 200;
  std::string answer = "{}";
  if (route == "rules" && request.method == "POST") {
    absl::StatusOr<std::vector<FaultRule>> rules = ParseFaultRules(text);
    if (rules.ok()) {
      answer = absl::StrCat("{\"added\":", rules->size(), "}");
      rules_.Add(*std::move(rules));
    } else {
      status = 400;
      answer = httpd::ErrorJson(rules.status().message());
    }
  } else if (route == "rules" && request.method == "DELETE") {
    rules_.Clear();
  } else if (route == "log" && request.method == "GET") {
    int settle_ms = 0;
    std::optional<absl::string_view> settle = request.QueryParam("settle_ms");
    if (settle && (!absl::SimpleAtoi(*settle, &settle_ms) || settle_ms < 0)) {
      status = 400;
      answer = httpd::ErrorJson("settle_ms must be a non-negative integer");
    } else {
      answer = log_.ToJson(absl::Milliseconds(settle_ms));
    }
  } else if (route == "log" && request.method == "DELETE") {
    log_.Clear();
  } else {
    status = 404;
    answer =
        httpd::ErrorJson(absl::StrCat("no control route ", request.method, " ", request.path));
  }
  return SendJson(client_fd, status, answer, !keep_alive).ok() && keep_alive;
}

bool FaultProxy::ServeProxied(uint64_t id, int client_fd, const RequestHead& request,
                              absl::string_view target, BodyDecoder& body) {
  const std::optional<FaultRule> rule = rules_.Take(request.method, request.path, RawQuery(target));
  LoggedRequest logged;
  logged.method = request.method;
  logged.target = std::string(target);
  logged.headers = request.headers.entries();
  logged.rule = rule ? rule->name : "";
  logged.action = std::string(FaultActionName(rule ? rule->action : FaultAction::kForward));
  logged.started = absl::Now();
  const uint64_t log_id = log_.Begin(std::move(logged));

  ExchangeOutcome outcome;
  bool keep_alive = false;
  {
    Exchange exchange(*this, id, client_fd, request, target, body, rule, outcome);
    keep_alive = exchange.Run();
  }
  outcome.ended = absl::Now();
  log_.Finish(log_id, outcome);
  return keep_alive;
}

absl::StatusOr<int> FaultProxy::ConnectUpstream(uint64_t id) {
  absl::StatusOr<int> fd = Connect(options_.upstream, options_.connect_timeout);
  if (!fd.ok()) return fd.status();
  SetIoTimeout(*fd, options_.upstream_io_timeout);
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    close(*fd);
    return absl::UnavailableError("the proxy is stopping");
  }
  connections_[id].upstream_fd = *fd;
  return fd;
}

void FaultProxy::CloseUpstream(uint64_t id, int fd) {
  {
    absl::MutexLock lock(&mu_);
    connections_[id].upstream_fd = -1;
  }
  close(fd);
}

void FaultProxy::JoinFinishedThreads() {
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&mu_);
    finished.swap(finished_);
  }
  for (std::thread& thread : finished) thread.join();
}

void FaultProxy::Stop() {
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
    // Every blocking call of a connection's thread, a stall included, returns once its
    // sockets are shut down.
    for (const auto& [id, connection] : connections_) {
      shutdown(connection.client_fd, SHUT_RDWR);
      if (connection.upstream_fd >= 0) shutdown(connection.upstream_fd, SHUT_RDWR);
    }
    auto all_closed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return connections_.empty(); };
    mu_.Await(absl::Condition(&all_closed));
  }
  JoinFinishedThreads();
}

}  // namespace objgate::faultproxy
