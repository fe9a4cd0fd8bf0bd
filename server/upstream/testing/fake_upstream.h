#ifndef OBJGATE_SERVER_UPSTREAM_TESTING_FAKE_UPSTREAM_H_
#define OBJGATE_SERVER_UPSTREAM_TESTING_FAKE_UPSTREAM_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/upstream/upstream.h"

namespace objgate {

// An in-memory Upstream for testing the layers above it (RetryingUpstream, the gRPC
// service) without HTTP: objects per tenant with the semantics the Upstream contract
// promises (ranges, If-Match, declared checksums, pagination), faults scripted per
// operation, a hook that runs before each call, and a record of every call. Safe to use
// from many threads.
//
//   FakeUpstream upstream;
//   upstream.Put("tenant", "k", "hello");
//   upstream.FailNext(FakeUpstream::Op::kDownload,
//                     {MarkRetryable(absl::UnavailableError("reset")), /*after_bytes=*/2});
//   ... the download breaks after "he"; the retrying layer's resume asks for "llo".
class FakeUpstream final : public Upstream {
 public:
  enum class Op {
    kGetServerInfo,
    kUpload,
    kDownload,
    kList,
    kDelete,
    kCopy,
    kCreateMultipartUpload,
    kUploadPart,
    kListParts,
    kCompleteMultipartUpload,
    kAbortMultipartUpload,
    kCheckLive,
    kCheckReady
  };

  // How one call fails.
  struct Fault {
    absl::Status status;
    // Upload: the error comes after this many body bytes were read. Download: after the
    // head and this many bytes were delivered. 0: before anything.
    int64_t after_bytes = 0;
    // The call does all its work (stores, deletes) and then reports `status`, as when the
    // store's answer is lost on the way back.
    bool after_success = false;
  };

  struct Object {
    std::string data;
    std::string etag;
    std::string content_type;
    // The SHA-256 declared on download; empty declares none.
    std::string declared_sha256;
    std::map<std::string, std::string> metadata;
    absl::Time last_modified = absl::UnixEpoch();
  };

  // What a call asked for.
  struct Call {
    Op op;
    std::string tenant_id;
    std::string request_id;
    // Upload, Download and Delete; Copy's destination.
    std::string key;
    UploadSpec upload;
    DownloadSpec download;
    ListQuery list;
    DeleteSpec del;
    CopySpec copy;
    // The multipart calls: the store's upload id and the part's number.
    std::string upload_id;
    int part_number = 0;
  };

  FakeUpstream() = default;

  // Stores `data` under `key`, with the etag and declared SHA-256 an upload would get.
  void Put(absl::string_view tenant_id, absl::string_view key, std::string data,
           std::string content_type = "application/octet-stream");
  // Stores `object` exactly as given (an etag or a declared checksum of a test's choosing).
  void PutObject(absl::string_view tenant_id, absl::string_view key, Object object);
  std::optional<Object> Get(absl::string_view tenant_id, absl::string_view key) const;
  // Keys stored for `tenant_id`, in order.
  std::vector<std::string> Keys(absl::string_view tenant_id) const;

  // The next call of `op` fails with `fault`; faults queue up, one per call.
  void FailNext(Op op, Fault fault);

  // Runs at the start of each call, on the caller's thread, once the call is recorded:
  // to hold a call (cancellation tests) or change the store between two attempts.
  void SetBeforeCall(std::function<void(Op op, const CallContext& context)> hook);

  // Answers without etags (downloads and listings), like a store without ETag support.
  void set_etags(bool etags);
  // A store that never declares a SHA-256 on download.
  void set_declares_sha256(bool declares);
  // What GetServerInfo, CheckLive and CheckReady answer.
  void set_server_info(absl::StatusOr<UpstreamServerInfo> info);
  void set_live(absl::Status live);
  void set_ready(absl::Status ready);
  // Bytes per OnData call of a download.
  void set_download_piece_bytes(size_t bytes);

  std::vector<Call> calls() const;
  int CallCount(Op op) const;
  // Body bytes that uploads have read and downloads have delivered so far.
  int64_t bytes_read() const;
  int64_t bytes_delivered() const;
  // Blocks until no call is running; for tests that end a call from the caller's side and
  // then look at what the upstream saw.
  void WaitUntilIdle() const;
  // The statuses calls have returned, in the order they returned.
  std::vector<absl::Status> outcomes() const;

  absl::StatusOr<UpstreamServerInfo> GetServerInfo(const CallContext& context) override;
  absl::StatusOr<StoredObject> Upload(const CallContext& context, const UploadSpec& spec,
                                      ByteSource& body) override;
  absl::Status Download(const CallContext& context, const DownloadSpec& spec,
                        DownloadSink& sink) override;
  absl::StatusOr<ListPage> List(const CallContext& context, const ListQuery& query) override;
  absl::Status Delete(const CallContext& context, const DeleteSpec& spec) override;
  absl::StatusOr<StoredObject> Copy(const CallContext& context, const CopySpec& spec) override;
  absl::StatusOr<std::string> CreateMultipartUpload(const CallContext& context,
                                                    const UploadSpec& spec) override;
  absl::StatusOr<UploadedPart> UploadPart(const CallContext& context, const std::string& key,
                                          const std::string& upload_id, int number,
                                          absl::string_view bytes) override;
  absl::StatusOr<MultipartUploadState> ListParts(const CallContext& context,
                                                 const std::string& key,
                                                 const std::string& upload_id) override;
  absl::StatusOr<StoredObject> CompleteMultipartUpload(
      const CallContext& context, const UploadSpec& spec, const std::string& upload_id,
      const std::vector<UploadedPart>& parts) override;
  absl::Status AbortMultipartUpload(const CallContext& context, const std::string& key,
                                    const std::string& upload_id) override;
  // Multipart uploads in progress, for tests that check none is left behind.
  int MultipartUploadCount() const;
  absl::Status CheckLive(const CallContext& context) override;
  absl::Status CheckReady(const CallContext& context) override;

 private:
  using TenantObjects = std::map<std::string, Object>;

  // Records the call, takes its fault if one is queued, runs the hook.
  std::optional<Fault> Begin(Call call, const CallContext& context);
  // Records the outcome and marks the call ended.
  template <typename T>
  T End(T result);
  // What the store holds for a listing query, paginated as the contract says.
  ListPage ListStored(absl::string_view tenant_id, const ListQuery& query) const;
  // Stores `object` unless `spec`'s conditions refuse it, atomically.
  absl::Status StoreIf(absl::string_view tenant_id, const UploadSpec& spec, Object object);
  absl::Status DoDownload(const CallContext& context, const DownloadSpec& spec, DownloadSink& sink,
                          const std::optional<Fault>& fault);

  // A multipart upload in progress, or completed (then `parts` is empty).
  struct MultipartUpload {
    std::string tenant_id;
    UploadSpec spec;
    std::map<int, std::string> parts;
    bool complete = false;
    StoredObject object;
  };
  // The upload `upload_id` of `key` for the tenant, or NOT_FOUND.
  absl::StatusOr<MultipartUpload*> FindUpload(const CallContext& context, const std::string& key,
                                              const std::string& upload_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, TenantObjects> tenants_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, MultipartUpload> uploads_ ABSL_GUARDED_BY(mu_);
  int next_upload_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<Op, std::deque<Fault>> faults_ ABSL_GUARDED_BY(mu_);
  std::function<void(Op, const CallContext&)> before_call_ ABSL_GUARDED_BY(mu_);
  bool etags_ ABSL_GUARDED_BY(mu_) = true;
  bool declares_sha256_ ABSL_GUARDED_BY(mu_) = true;
  absl::StatusOr<UpstreamServerInfo> server_info_ ABSL_GUARDED_BY(mu_) = UpstreamServerInfo{
      "fake", "ok", "fake-1.0", "1x"};
  absl::Status live_ ABSL_GUARDED_BY(mu_);
  absl::Status ready_ ABSL_GUARDED_BY(mu_);
  size_t download_piece_bytes_ ABSL_GUARDED_BY(mu_) = 64 * 1024;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> outcomes_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t bytes_read_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t bytes_delivered_ ABSL_GUARDED_BY(mu_) = 0;
};

// A DownloadSink that keeps what it is given.
class RecordingDownloadSink final : public DownloadSink {
 public:
  absl::Status OnHead(const DownloadHead& head) override {
    heads.push_back(head);
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view bytes) override {
    data.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }

  std::vector<DownloadHead> heads;
  std::string data;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_UPSTREAM_TESTING_FAKE_UPSTREAM_H_
