#ifndef OBJGATE_SERVER_SERVICE_TESTING_FAKE_MESSAGE_STREAMS_H_
#define OBJGATE_SERVER_SERVICE_TESTING_FAKE_MESSAGE_STREAMS_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace objgate {

// Fakes of the two message-stream interfaces the service's streams work on
// (UploadStream reads a grpc::ServerReaderInterface, DownloadStream and List write a
// grpc::ServerWriterInterface), for testing them without a gRPC call.

// The caller's side of a client-streaming call: the messages a test queued, then the end
// of the stream (Read returns false), as when the caller closed it or went away.
template <typename Message>
class FakeServerReader : public grpc::ServerReaderInterface<Message> {
 public:
  void Add(Message message) { messages_.push_back(std::move(message)); }

  bool Read(Message* message) override {
    if (messages_.empty()) return false;
    *message = std::move(messages_.front());
    messages_.pop_front();
    ++reads_;
    return true;
  }
  bool NextMessageSize(uint32_t* size) override {
    *size = messages_.empty() ? 0 : static_cast<uint32_t>(messages_.front().ByteSizeLong());
    return !messages_.empty();
  }
  void SendInitialMetadata() override {}

  // Messages taken so far.
  int reads() const { return reads_; }

 private:
  std::deque<Message> messages_;
  int reads_ = 0;
};

// Keeps every message a server-streaming call writes; with `fail_writes`, refuses them as
// a stream whose caller went away does.
template <typename Message>
class FakeServerWriter : public grpc::ServerWriterInterface<Message> {
 public:
  bool Write(const Message& message, grpc::WriteOptions options) override {
    if (fail_writes) return false;
    messages.push_back(message);
    last_marked = options.is_last_message();
    return true;
  }
  void SendInitialMetadata() override {}

  std::vector<Message> messages;
  bool fail_writes = false;
  // The latest message was written with WriteOptions::set_last_message().
  bool last_marked = false;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_TESTING_FAKE_MESSAGE_STREAMS_H_
