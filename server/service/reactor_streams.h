#ifndef OBJGATE_SERVER_SERVICE_REACTOR_STREAMS_H_
#define OBJGATE_SERVER_SERVICE_REACTOR_STREAMS_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/sync_stream.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>

#include "server/service/serialized_writer.h"

namespace objgate {

// The streaming calls run on gRPC's callback API, whose threads must never block, while
// the code that moves their bytes (UploadStream, DownloadStream, the upstream layers) is
// written as blocking reads and writes on a thread of its own. These reactors join the
// two: gRPC's side queues messages and returns at once; the blocking side waits on the
// queue. The queues are bounded, so backpressure still runs from the caller to the upstream
// and back. Messages stay serialised (grpc::ByteBuffer) in the queues, so bytes are copied
// no more often than on gRPC's synchronous API.
//
// Lifetime: gRPC deletes a reactor (OnDone) once it has finished, so the blocking side must
// not touch one after calling FinishAfterWrites or FinishNow.

// The writes of a server-streaming call.
class QueuedWriteReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                           public SerializedWriter {
 public:
  // The blocking side waits while more than `max_queued_bytes` are not yet written.
  explicit QueuedWriteReactor(size_t max_queued_bytes);

  // Queues `message`, blocking while the queue is over its bound. A message marked last is
  // held back and sent together with the status. False once the caller is gone.
  bool Write(grpc::ByteBuffer message, bool last) override;

  // Ends the call with `status` once the queued messages are written (at once if the
  // caller is gone). `this` may be deleted before it returns.
  void FinishAfterWrites(grpc::Status status);

 private:
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override { delete this; }

  // Starts the next write, the last one with the status, or finishes; called with the lock
  // held, which it releases.
  void StartNext(std::unique_lock<std::mutex> lock);

  const size_t max_queued_bytes_;
  std::mutex mu_;
  std::condition_variable drained_;
  std::deque<grpc::ByteBuffer> queue_;
  std::optional<grpc::ByteBuffer> last_;
  grpc::ByteBuffer writing_;  // the write in flight
  size_t writing_bytes_ = 0;
  size_t unwritten_bytes_ = 0;  // queued and in flight
  bool write_in_flight_ = false;
  bool caller_gone_ = false;
  std::optional<grpc::Status> finish_status_;
  bool finished_ = false;
};

// The reads of a client-streaming call, read ahead up to a bound.
class QueuedReadReactor : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  // Reads ahead while fewer than `max_queued_bytes` wait to be taken.
  explicit QueuedReadReactor(size_t max_queued_bytes);

  // The next message, blocking until one arrives; false at the end of the stream or once
  // the caller is gone.
  bool Read(grpc::ByteBuffer* message);

  // Ends the call with `status`. `this` may be deleted before it returns.
  void FinishNow(grpc::Status status);

 private:
  void OnReadDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override { delete this; }

  const size_t max_queued_bytes_;
  std::mutex mu_;
  std::condition_variable arrived_;
  std::deque<grpc::ByteBuffer> queue_;
  grpc::ByteBuffer reading_;  // the read in flight
  size_t queued_bytes_ = 0;
  bool read_in_flight_ = false;
  bool ended_ = false;
  bool finished_ = false;
};

// List writes typed messages to a ServerWriterInterface: this one serialises them into a
// QueuedWriteReactor (or another SerializedWriter).
template <typename Message>
class ReactorWriter : public grpc::ServerWriterInterface<Message> {
 public:
  explicit ReactorWriter(SerializedWriter& reactor) : reactor_(reactor) {}

  // Initial metadata leaves with the first message.
  void SendInitialMetadata() override {}

  bool Write(const Message& message, grpc::WriteOptions options) override {
    return WriteMessage(reactor_, message, options.is_last_message());
  }

 private:
  SerializedWriter& reactor_;
};

// UploadStream reads typed messages from a ServerReaderInterface: this one parses them
// from a QueuedReadReactor.
template <typename Message>
class ReactorReader : public grpc::ServerReaderInterface<Message> {
 public:
  explicit ReactorReader(QueuedReadReactor& reactor) : reactor_(reactor) {}

  void SendInitialMetadata() override {}

  // Not used by the gateway; messages are limited by the server's receive size.
  bool NextMessageSize(uint32_t* size) override {
    *size = std::numeric_limits<uint32_t>::max();
    return true;
  }

  bool Read(Message* message) override {
    grpc::ByteBuffer bytes;
    if (!reactor_.Read(&bytes)) return false;
    if (!grpc::SerializationTraits<Message>::Deserialize(&bytes, message).ok()) {
      malformed_ = true;
      return false;
    }
    return true;
  }

  // A message could not be parsed; Read returned false for it.
  bool malformed() const { return malformed_; }

 private:
  QueuedReadReactor& reactor_;
  bool malformed_ = false;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_REACTOR_STREAMS_H_
