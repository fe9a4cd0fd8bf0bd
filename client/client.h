#ifndef OBJGATE_CLIENT_CLIENT_H_
#define OBJGATE_CLIENT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/config.h"
#include "client/errors.h"
#include "common/byte_stream.h"
#include "common/retry/backoff_policy.h"
#include "storage/v1/storage.grpc.pb.h"

namespace objgate {

namespace client_internal {
class UploadSource;
}  // namespace client_internal

// What an upload stored.
struct UploadResult {
  // Always "uploaded" for a stored object, as the SDK reports it.
  std::string status = "uploaded";
  std::string key;
  int64_t size = 0;
  // SHA-256 of the bytes stored, 64 lowercase hex digits, as the gateway computed it and
  // the client checked against its own.
  std::string sha256;
  std::string etag;
};

// How far a transfer has come; `bytes_total` is -1 while unknown.
struct TransferProgress {
  int64_t bytes_done = 0;
  int64_t bytes_total = -1;
};
// Called after every chunk, on the calling thread; keep it quick.
using ProgressCallback = std::function<void(const TransferProgress&)>;

struct UploadOptions {
  // Recorded with the object; "application/octet-stream" when empty.
  std::string content_type;
  // User metadata (see ObjectSpec.metadata in proto/storage/v1/storage.proto).
  std::map<std::string, std::string> metadata;
  ProgressCallback progress;
  // Overrides ClientConfig::timeout for this call.
  std::optional<absl::Duration> timeout;
  // Conditional upload (ObjectSpec in proto/storage/v1/storage.proto): "*" stores the
  // object only if the key is free; an etag replaces only that version. Refused with
  // FAILED_PRECONDITION (IsFailedPrecondition), or UNIMPLEMENTED where the gateway's
  // upstream cannot enforce it (ServerInfo::capabilities has "conditional_upload").
  std::string if_none_match;
  std::string if_match;
};

struct DeleteOptions {
  // Delete only if the object's etag is this one (FAILED_PRECONDITION otherwise;
  // UNIMPLEMENTED without the capability "conditional_delete").
  std::string if_match;
};

struct CopyOptions {
  // Copy only if the source's etag is this one (FAILED_PRECONDITION otherwise).
  std::string source_if_match;
};

// What a copy stored.
struct CopyResult {
  std::string key;
  int64_t size = 0;
  std::string etag;
  // The SHA-256 stored with the copy; empty when the source had none and the store copied
  // it.
  std::string sha256;
};

// Where a resumable upload stands (Client::QueryUploadStatus).
struct ResumableUploadStatus {
  std::string upload_id;
  std::string key;
  // Bytes the store holds; an Upload continues from here.
  int64_t persisted_size = 0;
  bool complete = false;
};

struct ResumableUploadOptions {
  // Content type, metadata, conditions, progress (which starts at the bytes already
  // stored when an upload continues) and timeout, as for Upload.
  UploadOptions upload;
  // The file that keeps the upload's id between runs, so that a run killed mid-way
  // continues where it stopped when it is run again. Empty: a file of its own under
  // $XDG_CACHE_HOME/objgate/uploads (~/.cache when unset), named after the tenant, key
  // and file (not the gateway: any in front of the store continues it). Removed once the
  // upload completes.
  std::string state_file;
  // Called once, before any byte is sent, when the upload continues one that a killed or
  // interrupted run began: with the bytes the store already holds.
  std::function<void(int64_t persisted_size)> on_resume;
};

struct DownloadOptions {
  // The byte range [offset, offset + limit); limit 0 reads to the end.
  int64_t offset = 0;
  int64_t limit = 0;
  // Read only if the object's etag is this one (FAILED_PRECONDITION otherwise).
  std::string if_match;
  ProgressCallback progress;
  std::optional<absl::Duration> timeout;
};

// What a download delivered.
struct DownloadResult {
  std::string key;
  // The whole object's size, and the range delivered.
  int64_t object_size = 0;
  int64_t offset = 0;
  int64_t length = 0;
  std::string etag;
  std::string content_type;
  // SHA-256 of the bytes delivered, verified against the gateway's (and against the
  // store's declared SHA-256 of the object, when the whole object was read).
  std::string sha256;
};

struct ObjectInfo {
  std::string key;
  int64_t size = 0;
  absl::Time last_modified = absl::UnixEpoch();
  std::string etag;
  // Empty in list entries on S3, whose listings do not carry it.
  std::string content_type;
  // Stat only: the stored SHA-256 (empty when none is stored) and the user metadata, where
  // the store keeps it (ServerInfo::capabilities has "user_metadata").
  std::string sha256;
  std::map<std::string, std::string> metadata;
};

struct ListOptions {
  std::string prefix;
  // When set (usually "/"), keys holding it after `prefix` are folded into common prefixes
  // ("folders"), which ListObjectsAndPrefixes returns; ListObjects leaves them out.
  std::string delimiter;
  // Only keys after this one; for continuing a listing.
  std::string start_after;
  // Entries (and prefixes) in all; 0 for no limit.
  int64_t limit = 0;
};

// A listing with a delimiter: the objects at this level and the common prefixes below it,
// each in key order.
struct Listing {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> prefixes;
};

struct ServerInfo {
  std::string status;
  std::string version;
  std::string performance;
  std::string gateway_version;
  // What the gateway's upstream speaks: "rest" or "s3".
  std::string dialect;
  // What the gateway can do with its upstream beyond the basic calls: "stat",
  // "user_metadata", "delimiter", "copy", "conditional_upload", "conditional_delete"
  // (storage.proto, ServerInfo.capabilities).
  std::vector<std::string> capabilities;
};

// A connection to the gateway for one tenant: the MinIO Enterprise SDK's client, in C++.
//
//   absl::StatusOr<std::unique_ptr<Client>> client =
//       CreateClient("127.0.0.1:50051", "550e8400-e29b-41d4-a716-446655440000");
//   if (!client.ok()) return client.status();
//   absl::StatusOr<UploadResult> up = (*client)->Upload("hello.txt", "Hello, World!");
//   absl::StatusOr<std::string> data = (*client)->Download("hello.txt");
//   if (IsNotFound(data.status())) ...
//
// Every call returns absl::Status or absl::StatusOr (see errors.h for why, and for the
// predicates to test errors with). A call that fails with UNAVAILABLE is retried with the
// configured backoff when that is safe; downloads that break mid-stream (UNAVAILABLE, or
// a stream reset by a proxy on the way) resume from the next byte of the same version;
// every download is checked for length and SHA-256, and a
// download that fails never returns data.
//
// Thread safety: one Client may be used from any number of threads at once; its calls
// share one gRPC channel. Close() (or the destructor, in place of the SDK's context
// manager) ends it; calls after Close fail with FAILED_PRECONDITION.
class Client {
 public:
  // INVALID_ARGUMENT naming the field when `config` is not valid.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientConfig config);
  // Uses `channel` as it is, for custom credentials or channel arguments.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientConfig config,
                                                        std::shared_ptr<grpc::Channel> channel);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientConfig& config() const { return config_; }

  // Stores `data` under `key`; replaces an existing object whole or not at all.
  absl::StatusOr<UploadResult> Upload(absl::string_view key, absl::string_view data,
                                      const UploadOptions& options = {});
  // Streams `in` to its end, in constant memory. Retried only if `in` can seek back to
  // where it started (files can, pipes cannot).
  absl::StatusOr<UploadResult> UploadFrom(absl::string_view key, std::istream& in,
                                          const UploadOptions& options = {});
  absl::StatusOr<UploadResult> UploadFile(absl::string_view key, const std::string& path,
                                          const UploadOptions& options = {});

  // Resumable uploads (storage.proto, StartResumableUpload): the store keeps the parts, so
  // an upload survives the caller, the network and the gateway. `size` and `sha256` (hex)
  // of the whole object are checked at completion where given. Returns the upload's id.
  absl::StatusOr<std::string> StartResumableUpload(absl::string_view key,
                                                   const UploadOptions& options,
                                                   std::optional<int64_t> size,
                                                   const std::string& sha256);
  absl::StatusOr<ResumableUploadStatus> QueryUploadStatus(const std::string& upload_id);
  absl::Status CancelResumableUpload(const std::string& upload_id);
  // Uploads the file at `path` resumably: hashes it, starts an upload (or continues the one
  // its state file names, if the file is unchanged), and sends what the store does not hold
  // yet, continuing after UNAVAILABLE from the persisted size. A run killed mid-way and run
  // again continues instead of starting over. Needs the capability "resumable_upload"
  // (UNIMPLEMENTED otherwise).
  absl::StatusOr<UploadResult> UploadFileResumable(absl::string_view key, const std::string& path,
                                                   const ResumableUploadOptions& options = {});

  // The object's bytes (or the range in `options`).
  absl::StatusOr<std::string> Download(absl::string_view key, const DownloadOptions& options = {});
  // Streams the object into `out` in constant memory. On error `out` may hold a prefix of
  // the object and must be discarded.
  absl::StatusOr<DownloadResult> DownloadTo(absl::string_view key, std::ostream& out,
                                            const DownloadOptions& options = {});
  // Writes the object to `path` through a temporary file renamed into place once the
  // bytes checked out, so `path` never holds a partial object.
  absl::StatusOr<DownloadResult> DownloadToFile(absl::string_view key, const std::string& path,
                                                const DownloadOptions& options = {});

  // Keys that start with `prefix`, in order, as the SDK's list().
  absl::StatusOr<std::vector<std::string>> List(absl::string_view prefix = "");
  // The full entries.
  absl::StatusOr<std::vector<ObjectInfo>> ListObjects(const ListOptions& options = {});
  // The full entries and, with ListOptions::delimiter, the common prefixes ("folders").
  absl::StatusOr<Listing> ListObjectsAndPrefixes(const ListOptions& options);

  // What the store knows of one object, without its bytes (the Stat RPC): size, etag,
  // content type, last modified, stored SHA-256 and user metadata.
  absl::StatusOr<ObjectInfo> Stat(absl::string_view key);

  absl::Status Delete(absl::string_view key, const DeleteOptions& options = {});

  // Copies an object to another key of this tenant, with its content type, metadata and
  // stored SHA-256, without its bytes passing through the client (the Copy RPC).
  absl::StatusOr<CopyResult> Copy(absl::string_view source_key, absl::string_view destination_key,
                                  const CopyOptions& options = {});

  absl::StatusOr<ServerInfo> GetServerInfo();

  // True when the gateway's upstream is live and ready; an error only when the gateway
  // itself cannot be asked.
  absl::StatusOr<bool> HealthCheck();

  // Ends the client; idempotent.
  void Close();

 private:
  using UploadSource = client_internal::UploadSource;

  Client(ClientConfig config, BackoffPolicy backoff, std::shared_ptr<grpc::Channel> channel);

  absl::StatusOr<std::shared_ptr<storage::v1::ObjectStorage::Stub>> Stub() const;
  // One unary call, made again under the retry policy while it fails retryably:
  // `call(stub, context)` makes it with a context of its own and turns the answer into the
  // result (client_internal.h).
  template <typename Result, typename Call>
  Result CallWithRetries(absl::Time deadline, bool with_tenant, Call call);
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Time deadline, bool with_tenant) const;
  absl::Time DeadlineFor(std::optional<absl::Duration> timeout) const;

  absl::StatusOr<UploadResult> UploadFromSource(absl::string_view key, UploadSource& source,
                                                const UploadOptions& options);
  absl::StatusOr<DownloadResult> DownloadToSink(absl::string_view key, ByteSink& sink,
                                                const DownloadOptions& options);

  const ClientConfig config_;
  const BackoffPolicy backoff_;
  mutable absl::Mutex mu_;
  std::shared_ptr<grpc::Channel> channel_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<storage::v1::ObjectStorage::Stub> stub_ ABSL_GUARDED_BY(mu_);
};

// The SDK's create_client(): a Client for `target` and `tenant_id` with the other fields
// of ClientConfig at their defaults unless given.
absl::StatusOr<std::unique_ptr<Client>> CreateClient(std::string target, std::string tenant_id,
                                                     absl::Duration timeout = absl::Seconds(30),
                                                     int max_retries = 3);

}  // namespace objgate

#endif  // OBJGATE_CLIENT_CLIENT_H_
