// Client's resumable uploads: the calls of storage.proto's StartResumableUpload family, and
// UploadFileResumable, which keeps its upload id in a state file so that a run that was
// killed continues where it stopped.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/client.h"
#include "client/client_internal.h"
#include "common/clock.h"
#include "common/retry/repeat_rules.h"
#include "common/retry/retry_loop.h"
#include "common/retry/retryable.h"
#include "common/sha256.h"

namespace objgate {

namespace v1 = ::storage::v1;

using client_internal::FromGrpc;
using client_internal::Report;
using client_internal::SetChecksummedData;

namespace {

// What identifies one version of a local file well enough to continue its upload.
struct FileVersion {
  int64_t size = 0;
  int64_t modified_ns = 0;
};

absl::StatusOr<FileVersion> VersionOf(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, " as a regular file"));
  }
  return FileVersion{static_cast<int64_t>(info.st_size),
                     static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec};
}

absl::StatusOr<std::string> Sha256OfFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  Sha256 hash;
  std::vector<char> buffer(1 << 20);
  while (file) {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.Update(absl::string_view(buffer.data(), static_cast<size_t>(file.gcount())));
  }
  if (file.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return hash.HexDigest();
}

// The state file: what a later run needs to continue the upload, and to know the file is
// the one it was for. One field a line: upload id, size, modification time, SHA-256.
struct UploadState {
  std::string upload_id;
  FileVersion version;
  std::string sha256;
};

std::optional<UploadState> ReadState(const std::string& path) {
  std::ifstream file(path);
  std::string upload_id, size, modified, sha256;
  if (!std::getline(file, upload_id) || !std::getline(file, size) ||
      !std::getline(file, modified) || !std::getline(file, sha256)) {
    return std::nullopt;
  }
  UploadState state{upload_id, {}, sha256};
  if (!absl::SimpleAtoi(size, &state.version.size) ||
      !absl::SimpleAtoi(modified, &state.version.modified_ns) || upload_id.empty()) {
    return std::nullopt;
  }
  return state;
}

absl::Status WriteState(const std::string& path, const UploadState& state) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  const std::string temporary = absl::StrCat(path, ".tmp");
  {
    std::ofstream file(temporary, std::ios::trunc);
    file << state.upload_id << "\n"
         << state.version.size << "\n"
         << state.version.modified_ns << "\n"
         << state.sha256 << "\n";
    if (!file.flush()) return absl::InternalError(absl::StrCat("cannot write ", temporary));
  }
  std::filesystem::rename(temporary, path, error);
  if (error) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", error.message()));
  return absl::OkStatus();
}

std::string DefaultStateFile(const ClientConfig& config, absl::string_view key,
                             const std::string& path) {
  std::string cache;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    cache = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    cache = absl::StrCat(home, "/.cache");
  } else {
    cache = std::filesystem::temp_directory_path().string();
  }
  std::error_code error;
  const std::string absolute = std::filesystem::absolute(path, error).string();
  // One upload per tenant, key and file, whichever gateway in front of the store carries
  // it. NUL cannot occur in any of them.
  const std::string name = Sha256::Hex(
      absl::StrCat(config.tenant_id, std::string(1, '\0'), key, std::string(1, '\0'), absolute));
  return absl::StrCat(cache, "/objgate/uploads/", name.substr(0, 32));
}

}  // namespace

absl::StatusOr<std::string> Client::StartResumableUpload(absl::string_view key,
                                                         const UploadOptions& options,
                                                         std::optional<int64_t> size,
                                                         const std::string& sha256) {
  v1::StartResumableUploadRequest request;
  v1::ObjectSpec* spec = request.mutable_spec();
  spec->set_key(std::string(key));
  spec->set_content_type(options.content_type);
  if (size) spec->set_size(*size);
  spec->set_sha256(sha256);
  for (const auto& [name, value] : options.metadata) (*spec->mutable_metadata())[name] = value;
  spec->set_if_none_match(options.if_none_match);
  spec->set_if_match(options.if_match);
  // A start whose answer was lost leaves an upload nobody names; the store removes it.
  return CallWithRetries<absl::StatusOr<std::string>>(
      DeadlineFor(options.timeout), /*with_tenant=*/true,
      [&](v1::ObjectStorage::Stub& stub,
          grpc::ClientContext& context) -> absl::StatusOr<std::string> {
        v1::StartResumableUploadResponse response;
        absl::Status status = FromGrpc(stub.StartResumableUpload(&context, request, &response));
        if (!status.ok()) return status;
        return response.upload_id();
      });
}

absl::StatusOr<ResumableUploadStatus> Client::QueryUploadStatus(const std::string& upload_id) {
  v1::QueryUploadStatusRequest request;
  request.set_upload_id(upload_id);
  return CallWithRetries<absl::StatusOr<ResumableUploadStatus>>(
      DeadlineFor(std::nullopt), /*with_tenant=*/true,
      [&](v1::ObjectStorage::Stub& stub,
          grpc::ClientContext& context) -> absl::StatusOr<ResumableUploadStatus> {
        v1::QueryUploadStatusResponse response;
        absl::Status status = FromGrpc(stub.QueryUploadStatus(&context, request, &response));
        if (!status.ok()) return status;
        return ResumableUploadStatus{upload_id, response.key(), response.persisted_size(),
                                     response.complete()};
      });
}

absl::Status Client::CancelResumableUpload(const std::string& upload_id) {
  v1::CancelResumableUploadRequest request;
  request.set_upload_id(upload_id);
  int attempts = 0;
  return CallWithRetries<absl::Status>(
      DeadlineFor(std::nullopt), /*with_tenant=*/true,
      [&](v1::ObjectStorage::Stub& stub, grpc::ClientContext& context) {
        v1::CancelResumableUploadResponse response;
        absl::Status status = FromGrpc(stub.CancelResumableUpload(&context, request, &response));
        // Gone on a repeat: the earlier attempt cancelled it.
        return OutcomeOfDelete(status, ++attempts > 1);
      });
}

absl::StatusOr<UploadResult> Client::UploadFileResumable(absl::string_view key,
                                                         const std::string& path,
                                                         const ResumableUploadOptions& options) {
  absl::StatusOr<FileVersion> version = VersionOf(path);
  if (!version.ok()) return version.status();
  const std::string state_file =
      options.state_file.empty() ? DefaultStateFile(config_, key, path) : options.state_file;

  // An upload an earlier run began for this very file, if the store still has it.
  std::optional<UploadState> state = ReadState(state_file);
  if (state && (state->version.size != version->size ||
                state->version.modified_ns != version->modified_ns)) {
    // The file changed since: its parts are another file's.
    CancelResumableUpload(state->upload_id).IgnoreError();
    state.reset();
  }
  std::optional<ResumableUploadStatus> status;
  if (state) {
    absl::StatusOr<ResumableUploadStatus> queried = QueryUploadStatus(state->upload_id);
    if (queried.ok()) {
      status = *queried;
    } else if (absl::IsNotFound(queried.status())) {
      state.reset();  // cancelled or expired: start again
    } else {
      return queried.status();
    }
  }
  if (!state) {
    absl::StatusOr<std::string> sha256 = Sha256OfFile(path);
    if (!sha256.ok()) return sha256.status();
    absl::StatusOr<std::string> upload_id =
        StartResumableUpload(key, options.upload, version->size, *sha256);
    if (!upload_id.ok()) return upload_id.status();
    state = UploadState{*upload_id, *version, *sha256};
    if (absl::Status written = WriteState(state_file, *state); !written.ok()) return written;
  } else if (options.on_resume && status && status->persisted_size > 0) {
    options.on_resume(status->persisted_size);
  }

  absl::StatusOr<std::shared_ptr<v1::ObjectStorage::Stub>> stub = Stub();
  if (!stub.ok()) return stub.status();
  const absl::Time deadline = DeadlineFor(options.upload.timeout);
  std::string buffer(config_.chunk_bytes, '\0');
  int attempts = 0;
  auto attempt = [&]() -> absl::StatusOr<UploadResult> {
    // Each attempt continues from what the store holds now.
    if (attempts++ > 0 || !status) {
      absl::StatusOr<ResumableUploadStatus> queried = QueryUploadStatus(state->upload_id);
      if (!queried.ok()) return queried.status();
      status = *queried;
    }
    const int64_t offset = status->complete ? version->size : status->persisted_size;
    std::ifstream file(path, std::ios::binary);
    if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
    file.seekg(offset);
    auto context = NewContext(deadline, /*with_tenant=*/true);
    v1::UploadResponse response;
    std::unique_ptr<grpc::ClientWriter<v1::UploadRequest>> writer =
        (*stub)->Upload(context.get(), &response);
    v1::UploadRequest message;
    message.set_upload_id(state->upload_id);
    message.set_write_offset(offset);
    bool open = writer->Write(message);
    int64_t sent = offset;
    uint32_t crc32c = 0;  // of the bytes this stream sends
    Report(options.upload.progress, sent, version->size);
    while (open && sent < version->size && !status->complete) {
      file.read(buffer.data(), static_cast<std::streamsize>(
                                   std::min<int64_t>(buffer.size(), version->size - sent)));
      const std::streamsize n = file.gcount();
      if (n <= 0) {
        context->TryCancel();
        writer->Finish();
        return absl::DataLossError(absl::StrCat(path, " became shorter while it was uploaded"));
      }
      message.Clear();
      SetChecksummedData(message, absl::string_view(buffer.data(), static_cast<size_t>(n)),
                         crc32c);
      open = writer->Write(message);
      sent += n;
      Report(options.upload.progress, sent, version->size);
    }
    message.Clear();
    message.set_finish_write(true);
    writer->WriteLast(message, grpc::WriteOptions());  // a failure shows in Finish
    absl::Status finished = FromGrpc(writer->Finish());
    if (!finished.ok()) return finished;
    if (!response.complete() || response.size() != version->size ||
        (!response.sha256().empty() && response.sha256() != state->sha256) ||
        (response.has_crc32c() && response.crc32c() != crc32c)) {
      return absl::DataLossError(absl::StrCat(
          "the gateway completed ", response.size(), " bytes hashing to ", response.sha256(),
          "; the file has ", version->size, " bytes hashing to ", state->sha256));
    }
    return UploadResult{"uploaded", response.key(), response.size(), state->sha256,
                        response.etag()};
  };
  RetryLoop loop(backoff_, RealClock::Instance(), deadline);
  absl::StatusOr<UploadResult> result = loop.Run(attempt);
  if (result.ok()) std::filesystem::remove(state_file);
  return result;
}

}  // namespace objgate
