#ifndef OBJGATE_SERVER_SERVICE_SERIALIZED_WRITER_H_
#define OBJGATE_SERVER_SERVICE_SERIALIZED_WRITER_H_

#include <grpcpp/support/byte_buffer.h>

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

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_SERIALIZED_WRITER_H_
