#include "tests/support/storage_calls.h"

#include <algorithm>
#include <utility>

namespace objgate::test_support {

namespace v1 = ::storage::v1;

std::string TestBytes(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return data;
}

std::unique_ptr<grpc::ClientContext> TenantContext(const std::string& tenant,
                                                   absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!tenant.empty()) context->AddMetadata("x-tenant-id", tenant);
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

namespace {

// One Upload stream: `first`, then `data` in messages of `chunk_bytes`, then finish_write
// if `finish`.
UploadOutcome SendUpload(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                         const v1::UploadRequest& first, absl::string_view data, size_t chunk_bytes,
                         bool finish) {
  UploadOutcome outcome;
  auto context = TenantContext(tenant);
  auto writer = stub.Upload(context.get(), &outcome.response);
  bool open = writer->Write(first);
  v1::UploadRequest message;
  for (size_t offset = 0; open && offset < data.size(); offset += chunk_bytes) {
    message.set_data(std::string(data.substr(offset, chunk_bytes)));
    open = writer->Write(message);
  }
  if (open && finish) {
    message.Clear();
    message.set_finish_write(true);
    writer->Write(message);
  }
  writer->WritesDone();
  outcome.status = writer->Finish();
  return outcome;
}

}  // namespace

UploadOutcome ContinueUpload(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                             const std::string& upload_id, int64_t write_offset,
                             absl::string_view data, bool finish) {
  v1::UploadRequest first;
  first.set_upload_id(upload_id);
  first.set_write_offset(write_offset);
  return SendUpload(stub, tenant, first, data, 1 << 20, finish);
}

UploadOutcome Upload(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                     const std::string& key, const std::string& data,
                     const UploadOptions& options) {
  v1::UploadRequest message;
  v1::ObjectSpec* spec = message.mutable_spec();
  spec->set_key(key);
  spec->set_content_type(options.content_type);
  spec->mutable_metadata()->insert(options.metadata.begin(), options.metadata.end());
  if (options.declared_size) spec->set_size(*options.declared_size);
  spec->set_sha256(options.sha256);
  spec->set_if_none_match(options.if_none_match);
  spec->set_if_match(options.if_match);
  return SendUpload(stub, tenant, message, data, options.chunk_bytes, options.finish_write);
}

DownloadOutcome Download(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                         const v1::DownloadRequest& request, absl::Duration timeout) {
  DownloadOutcome outcome;
  auto context = TenantContext(tenant, timeout);
  auto reader = stub.Download(context.get(), request);
  v1::DownloadResponse message;
  while (reader->Read(&message)) {
    switch (message.kind_case()) {
      case v1::DownloadResponse::kMetadata:
        outcome.metadata = message.metadata();
        break;
      case v1::DownloadResponse::kData:
        outcome.data += message.data();
        ++outcome.data_messages;
        break;
      case v1::DownloadResponse::kTrailer:
        outcome.trailer = message.trailer();
        break;
      default:
        break;
    }
  }
  outcome.status = reader->Finish();
  return outcome;
}

DownloadOutcome Download(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                         const std::string& key) {
  v1::DownloadRequest request;
  request.set_key(key);
  return Download(stub, tenant, request);
}

ListOutcome List(v1::ObjectStorage::Stub& stub, const std::string& tenant,
                 const v1::ListRequest& request) {
  ListOutcome outcome;
  auto context = TenantContext(tenant);
  auto reader = stub.List(context.get(), request);
  v1::ListResponse page;
  while (reader->Read(&page)) {
    std::vector<std::string> keys;
    for (const auto& entry : page.entries()) {
      keys.push_back(entry.key());
      outcome.keys.push_back(entry.key());
    }
    outcome.prefixes.insert(outcome.prefixes.end(), page.prefixes().begin(), page.prefixes().end());
    outcome.page_items.push_back(page.entries_size() + page.prefixes_size());
    outcome.pages.push_back(std::move(keys));
  }
  outcome.status = reader->Finish();
  return outcome;
}

}  // namespace objgate::test_support
