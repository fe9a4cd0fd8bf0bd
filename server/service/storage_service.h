#ifndef OBJGATE_SERVER_SERVICE_STORAGE_SERVICE_H_
#define OBJGATE_SERVER_SERVICE_STORAGE_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/service/blocking_executor.h"
#include "server/service/call_observer.h"
#include "server/service/download_stream.h"
#include "server/service/reactor_streams.h"
#include "server/service/service_call.h"
#include "server/upstream/upstream.h"
#include "storage/v1/storage.grpc.pb.h"

namespace objgate {

struct StorageServiceOptions {
  // Bytes per Download data message.
  size_t download_chunk_bytes = 1 << 20;
  // Part size of resumable uploads started through this gateway; each stream of one holds
  // a part in memory. At least S3's smallest part, 5 MiB.
  int64_t resumable_part_bytes = 8 << 20;
  DownloadChecksums download_checksums = DownloadChecksums::kVerify;
  // Longest a Health call waits for each upstream probe.
  absl::Duration health_probe_timeout = absl::Seconds(5);
  std::string gateway_version;
  TenantPolicy tenants;
  BlockingExecutorOptions executor;
};

// The storage.v1.ObjectStorage service: validates each call, turns it into Upstream calls,
// and streams the bytes through. Knows nothing of HTTP; every upstream error arrives as an
// absl::Status whose code is the gRPC code the caller gets.
//
// One threading model for every RPC. All eleven run on gRPC's callback API, whose threads
// must never block; each call's work is ordinary blocking code (the upstream request,
// reading and writing the caller's messages) on a thread of a BlockingExecutor, joined to
// gRPC's side by the bounded queues of reactor_streams.h, so backpressure runs between
// caller and upstream. Messages cross as serialised bytes (the raw callback API) and are
// parsed on the executor thread, so a request that does not parse is INVALID_ARGUMENT
// with a message, like any other bad field. Every call goes through one ServiceCall:
// observer, context, tenant and limits are handled there and nowhere else.
class StorageService final
    : public storage::v1::ObjectStorage::WithRawCallbackMethod_Upload<
          storage::v1::ObjectStorage::WithRawCallbackMethod_Download<
              storage::v1::ObjectStorage::WithRawCallbackMethod_List<
                  storage::v1::ObjectStorage::WithRawCallbackMethod_Delete<
                      storage::v1::ObjectStorage::WithRawCallbackMethod_Stat<
                          storage::v1::ObjectStorage::WithRawCallbackMethod_Copy<
                              storage::v1::ObjectStorage::
                                  WithRawCallbackMethod_StartResumableUpload<
                                      storage::v1::ObjectStorage::
                                          WithRawCallbackMethod_QueryUploadStatus<
                                              storage::v1::ObjectStorage::
                                                  WithRawCallbackMethod_CancelResumableUpload<
                                                      storage::v1::ObjectStorage::
                                                          WithRawCallbackMethod_GetServerInfo<
                                                              storage::v1::ObjectStorage::
                                                                  WithRawCallbackMethod_Health<
                                                                      storage::v1::ObjectStorage::
                                                                          Service>>>>>>>>>>> {
 public:
  // Tells `observer` (not owned) of every call's start and end.
  StorageService(Upstream& upstream, CallObserver& observer, StorageServiceOptions options);

  grpc::ServerReadReactor<grpc::ByteBuffer>* Upload(grpc::CallbackServerContext* context,
                                                    grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Download(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* List(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Stat(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Copy(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* StartResumableUpload(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* QueryUploadStatus(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CancelResumableUpload(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request,
                                                  grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Health(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

  // From `cutoff` on, upstream work of calls still in flight is abandoned and the calls end
  // with UNAVAILABLE, so that callers know to retry elsewhere before the server goes.
  void BeginShutdown(absl::Time cutoff) { shutdown_.Set(cutoff); }

 private:
  // Whether the call needs a tenant (every object call) or not (GetServerInfo, Health).
  enum class Scope { kObject, kServer };

  // The three shapes of RPC: each schedules `work` on the executor inside a ServiceCall
  // and ends the call with what it returns.
  template <typename Request, typename Response, typename Work>
  grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* context,
                                       absl::string_view method, Scope scope,
                                       const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                       Work work);
  template <typename Request, typename Work>
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ServeServerStream(
      grpc::CallbackServerContext* context, absl::string_view method,
      const grpc::ByteBuffer* request, size_t max_queued_bytes, Work work);
  template <typename Request, typename Response, typename Work>
  grpc::ServerReadReactor<grpc::ByteBuffer>* ServeClientStream(grpc::CallbackServerContext* context,
                                                               absl::string_view method,
                                                               grpc::ByteBuffer* response,
                                                               size_t read_ahead_bytes, Work work);

  // The work of each RPC, on an executor thread.
  absl::Status StoreObject(ServiceCall& call,
                           grpc::ServerReaderInterface<storage::v1::UploadRequest>& reader,
                           storage::v1::UploadResponse& response);
  absl::Status SendObject(ServiceCall& call, const storage::v1::DownloadRequest& request,
                          SerializedWriter& writer);
  absl::Status SendListing(ServiceCall& call, const storage::v1::ListRequest& request,
                           grpc::ServerWriterInterface<storage::v1::ListResponse>& writer);
  absl::Status DeleteObject(ServiceCall& call, const storage::v1::DeleteRequest& request);
  absl::Status DescribeObject(ServiceCall& call, const storage::v1::StatRequest& request,
                              storage::v1::ObjectInfo& response);
  absl::Status CopyObject(ServiceCall& call, const storage::v1::CopyRequest& request,
                          storage::v1::CopyResponse& response);
  // Upload's work when its first message names a resumable upload.
  absl::Status ContinueUpload(ServiceCall& call, const storage::v1::UploadRequest& first,
                              grpc::ServerReaderInterface<storage::v1::UploadRequest>& reader,
                              storage::v1::UploadResponse& response);
  absl::Status StartUpload(ServiceCall& call,
                           const storage::v1::StartResumableUploadRequest& request,
                           storage::v1::StartResumableUploadResponse& response);
  absl::Status QueryUpload(ServiceCall& call, const storage::v1::QueryUploadStatusRequest& request,
                           storage::v1::QueryUploadStatusResponse& response);
  absl::Status CancelUpload(ServiceCall& call,
                            const storage::v1::CancelResumableUploadRequest& request);
  absl::Status DescribeServer(ServiceCall& call, storage::v1::ServerInfo& response);
  absl::Status CheckUpstream(ServiceCall& call, storage::v1::HealthResponse& response);

  Upstream& upstream_;
  CallObserver& observer_;
  const StorageServiceOptions options_;
  ShutdownCutoff shutdown_;
  // Last: its destructor waits for the calls' work, which uses the rest.
  BlockingExecutor executor_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_STORAGE_SERVICE_H_
