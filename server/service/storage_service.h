#ifndef OBJGATE_SERVER_SERVICE_STORAGE_SERVICE_H_
#define OBJGATE_SERVER_SERVICE_STORAGE_SERVICE_H_

#include <atomic>
#include <string>

#include <grpcpp/grpcpp.h>

#include "server/security/tenant_authenticator.h"
#include "server/security/tenant_limiter.h"
#include "server/service/blocking_executor.h"
#include "server/service/call_observer.h"
#include "server/service/download_stream.h"
#include "server/service/reactor_streams.h"
#include "server/upstream/upstream.h"
#include "storage/v1/storage.grpc.pb.h"

namespace objgate {

struct StorageServiceOptions {
  // Bytes per Download data message.
  size_t download_chunk_bytes = 1 << 20;
  DownloadChecksums download_checksums = DownloadChecksums::kVerify;
  // Longest a Health call waits for each upstream probe.
  absl::Duration health_probe_timeout = absl::Seconds(5);
  std::string gateway_version;
  // Not owned. Null: tenants are taken from x-tenant-id as sent, unauthenticated.
  const TenantAuthenticator* authenticator = nullptr;
  // Not owned. Null: no per-tenant limits.
  TenantLimiter* limiter = nullptr;
};

// The storage.v1.ObjectStorage service: validates each call, turns it into Upstream calls,
// and streams the bytes through. Knows nothing of HTTP; every upstream error arrives as an
// absl::Status whose code is the gRPC code the caller gets (see server/upstream/
// status_mapping.h).
//
// Upload and Download, the calls that carry bytes, run on gRPC's callback API, their
// upstream work on a BlockingExecutor thread, with reactor_streams.h between the two; the
// other calls run on gRPC's synchronous server. Either way a call's work is blocking code
// on a thread of its own, whose bounded reads and writes carry backpressure between caller
// and upstream. (The synchronous server costs a thread hand-off and wake-up per read and
// write; on the callback API a small upload or download takes half the gateway CPU.)
class StorageService final
    : public storage::v1::ObjectStorage::WithRawCallbackMethod_Upload<
          storage::v1::ObjectStorage::WithRawCallbackMethod_Download<
              storage::v1::ObjectStorage::Service>> {
 public:
  // Tells `observer` (not owned) of every call's start and end.
  StorageService(Upstream& upstream, CallObserver& observer, StorageServiceOptions options);

  grpc::ServerReadReactor<grpc::ByteBuffer>* Upload(grpc::CallbackServerContext* context,
                                                    grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Download(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request) override;
  grpc::Status List(grpc::ServerContext* context, const storage::v1::ListRequest* request,
                    grpc::ServerWriter<storage::v1::ListResponse>* writer) override;
  grpc::Status Delete(grpc::ServerContext* context, const storage::v1::DeleteRequest* request,
                      storage::v1::DeleteResponse* response) override;
  grpc::Status GetServerInfo(grpc::ServerContext* context,
                             const storage::v1::GetServerInfoRequest* request,
                             storage::v1::ServerInfo* response) override;
  grpc::Status Health(grpc::ServerContext* context, const storage::v1::HealthRequest* request,
                      storage::v1::HealthResponse* response) override;

  // From `cutoff` on, upstream work of calls still in flight is abandoned and the calls end
  // with UNAVAILABLE, so that callers know to retry elsewhere before the server goes.
  void BeginShutdown(absl::Time cutoff);

 private:
  // The call's context for the upstream layers, and what the call is doing for its log.
  CallContext ContextOf(grpc::ServerContextBase& context, CallStats& stats) const;
  // Decides an object call's tenant (authenticated when configured) into `call`, and
  // admits the call under the tenant's limits for as long as the permit lives.
  absl::StatusOr<TenantLimiter::Permit> AdmitObjectCall(const grpc::ServerContextBase& context,
                                                        CallContext& call);
  bool PastShutdownCutoff() const;
  // A call abandoned at the shutdown cutoff reports UNAVAILABLE, not CANCELLED: the
  // caller did not cancel, and may retry.
  absl::Status Outcome(absl::Status status) const;

  // The blocking halves of Upload and Download, on an executor thread.
  grpc::Status RunUpload(grpc::CallbackServerContext& context, QueuedReadReactor& reactor,
                         storage::v1::UploadResponse& response);
  grpc::Status RunDownload(grpc::CallbackServerContext& context, const grpc::ByteBuffer& request,
                           QueuedWriteReactor& reactor);
  absl::Status DoUpload(grpc::ServerContextBase& context, CallContext& call,
                        grpc::ServerReaderInterface<storage::v1::UploadRequest>& reader,
                        storage::v1::UploadResponse& response, AccessRecord& record);
  absl::Status DoDownload(CallContext& call, const storage::v1::DownloadRequest& request,
                          grpc::ServerWriterInterface<storage::v1::DownloadResponse>& writer,
                          AccessRecord& record);
  absl::Status DoList(CallContext& call, const storage::v1::ListRequest& request,
                      grpc::ServerWriter<storage::v1::ListResponse>& writer);

  Upstream& upstream_;
  CallObserver& observer_;
  const StorageServiceOptions options_;
  std::atomic<int64_t> shutdown_cutoff_unix_nanos_{INT64_MAX};
  // Last: its destructor waits for the calls' blocking halves, which use the rest.
  BlockingExecutor executor_;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_STORAGE_SERVICE_H_
