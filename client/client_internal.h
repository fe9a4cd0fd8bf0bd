#ifndef OBJGATE_CLIENT_CLIENT_INTERNAL_H_
#define OBJGATE_CLIENT_CLIENT_INTERNAL_H_

// What the files of the client library share; not part of its interface.

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "client/client.h"
#include "common/retry/retryable.h"

namespace objgate::client_internal {

// The gateway's answer as the library's error: gRPC and absl codes match one to one.
// UNAVAILABLE is the gateway's word for "safe to try again".
inline absl::Status FromGrpc(const grpc::Status& status) {
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  return absl::IsUnavailable(converted) ? MarkRetryable(std::move(converted)) : converted;
}

inline void Report(const ProgressCallback& progress, int64_t done, int64_t total) {
  if (progress) progress(TransferProgress{done, total});
}

}  // namespace objgate::client_internal

#endif  // OBJGATE_CLIENT_CLIENT_INTERNAL_H_
