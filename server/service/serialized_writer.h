#ifndef OBJGATE_SERVER_SERVICE_SERIALIZED_WRITER_H_
#define OBJGATE_SERVER_SERVICE_SERIALIZED_WRITER_H_

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>

#include <utility>

namespace objgate {

// Where a server-streaming call's messages go, each already in its wire form, so that a
// message can be built around the bytes it carries (DownloadStream) instead of copying
// them into a protobuf and serialising that. QueuedWriteReactor is the real one.
class SerializedWriter {
 public:
  virtual ~SerializedWriter() = default;

  // Queues `message`; `last` marks the call's last message, sent with its status. False
  // once the caller is gone.
  virtual bool Write(grpc::ByteBuffer message, bool last) = 0;
};

// Serialises `message` as gRPC would and writes it to `writer`; false when it cannot be
// serialised or the caller is gone.
template <typename Message>
bool WriteMessage(SerializedWriter& writer, const Message& message, bool last) {
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  if (!grpc::SerializationTraits<Message>::Serialize(message, &bytes, &own_buffer).ok()) {
    return false;
  }
  return writer.Write(std::move(bytes), last);
}

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_SERIALIZED_WRITER_H_
