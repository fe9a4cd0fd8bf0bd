#ifndef OBJGATE_SERVER_SERVICE_TESTING_FAKE_MESSAGE_STREAMS_H_
#define OBJGATE_SERVER_SERVICE_TESTING_FAKE_MESSAGE_STREAMS_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "server/service/serialized_writer.h"

namespace objgate {

// Fakes of the two message-stream interfaces the service's streams work on
// (UploadStream reads a grpc::ServerReaderInterface, DownloadStream writes to a
// SerializedWriter), for testing them without a gRPC call.

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

// Keeps every message written in its wire form (DownloadStream's), parsed back; with
// `fail_writes`, refuses them as a stream whose caller went away does. A message that
// does not parse is refused and counted in `malformed`.
template <typename Message>
class FakeSerializedWriter : public SerializedWriter {
 public:
  bool Write(grpc::ByteBuffer bytes, bool last) override {
    if (fail_writes) return false;
    Message message;
    if (!grpc::SerializationTraits<Message>::Deserialize(&bytes, &message).ok()) {
      ++malformed;
      return false;
    }
    messages.push_back(std::move(message));
    last_marked = last;
    return true;
  }

  std::vector<Message> messages;
  bool fail_writes = false;
  bool last_marked = false;
  int malformed = 0;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_TESTING_FAKE_MESSAGE_STREAMS_H_
