#ifndef OBJGATE_CLIENT_CLIENT_INTERNAL_H_
#define OBJGATE_CLIENT_CLIENT_INTERNAL_H_

// What the files of the client library share; not part of its interface.

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "client/client.h"
#include "common/clock.h"
#include "common/crc32c.h"
#include "common/retry/retry_loop.h"
#include "common/retry/retryable.h"

namespace objgate::client_internal {

// The gateway's answer as the library's error: gRPC and absl codes match one to one.
// UNAVAILABLE is the gateway's word for "safe to try again".
inline absl::Status FromGrpc(const grpc::Status& status) {
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  return absl::IsUnavailable(converted) ? MarkRetryable(std::move(converted)) : converted;
}

// As FromGrpc, for a download's stream, which may also resume after it broke on its way
// through a proxy without the gateway's status: nginx resets a call's stream when its
// gateway goes away in the middle of the answer (INTERNAL "Received RST_STREAM with error
// code 2"), and HAProxy ends it without trailers (UNKNOWN "Stream removed"). Every byte
// delivered so far was checked, and the download continues from the next one of the same
// version.
inline absl::Status FromGrpcDownload(const grpc::Status& status) {
  absl::Status converted = FromGrpc(status);
  const bool reset =
      absl::IsInternal(converted) && absl::StrContains(converted.message(), "RST_STREAM");
  const bool removed = absl::IsUnknown(converted) && converted.message() == "Stream removed";
  return reset || removed ? MarkRetryable(std::move(converted)) : converted;
}

// Makes `message` carry `chunk` and its CRC32C, which the gateway checks before any of the
// bytes goes on, and extends `stream_crc32c`, the upload answer's check, by the chunk.
inline void SetChecksummedData(storage::v1::UploadRequest& message, absl::string_view chunk,
                               uint32_t& stream_crc32c) {
  const uint32_t crc32c = Crc32c(chunk);
  stream_crc32c = Crc32cCombine(stream_crc32c, crc32c, chunk.size());
  message.set_data(chunk.data(), chunk.size());
  message.set_crc32c(crc32c);
}

inline void Report(const ProgressCallback& progress, int64_t done, int64_t total) {
  if (progress) progress(TransferProgress{done, total});
}

}  // namespace objgate::client_internal

namespace objgate {

template <typename Result, typename Call>
Result Client::CallWithRetries(absl::Time deadline, bool with_tenant, Call call) {
  absl::StatusOr<std::shared_ptr<storage::v1::ObjectStorage::Stub>> stub = Stub();
  if (!stub.ok()) return stub.status();
  RetryLoop loop(backoff_, RealClock::Instance(), deadline);
  return loop.Run([&]() -> Result {
    std::unique_ptr<grpc::ClientContext> context = NewContext(deadline, with_tenant);
    return call(**stub, *context);
  });
}

}  // namespace objgate

#endif  // OBJGATE_CLIENT_CLIENT_INTERNAL_H_
