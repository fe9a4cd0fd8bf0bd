// grpc_ceiling: the gRPC transport's own ceiling on this machine, for the bench. It serves
// the gateway's Upload, Download and Delete with no store behind them: an upload is read
// and dropped (only its size is kept), a download streams that many bytes from memory in
// messages of --chunk_bytes, the gateway's default message size. Every data message is
// serialised once at start and written again by reference, so that what a call costs is
// gRPC's framing and the kernel's copies, the least any gateway could cost. It prints
// "listening on 127.0.0.1:PORT" once it serves.

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "storage/v1/storage.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "Address to serve on.");
ABSL_FLAG(int64_t, chunk_bytes, 1 << 20,
          "Bytes per Download data message (the gateway's --download_chunk_bytes default).");

namespace objgate::bench {
namespace {

namespace v1 = ::storage::v1;

constexpr char kUpload[] = "/storage.v1.ObjectStorage/Upload";
constexpr char kDownload[] = "/storage.v1.ObjectStorage/Download";
constexpr char kDelete[] = "/storage.v1.ObjectStorage/Delete";

template <typename Message>
grpc::ByteBuffer Serialize(const Message& message) {
  grpc::ByteBuffer buffer;
  bool own = false;
  (void)grpc::SerializationTraits<Message>::Serialize(message, &buffer, &own);
  return buffer;
}

template <typename Message>
bool Parse(grpc::ByteBuffer& buffer, Message& message) {
  return grpc::SerializationTraits<Message>::Deserialize(&buffer, &message).ok();
}

// The sizes of the objects uploaded, which is all a download needs.
class Objects {
 public:
  void Put(const std::string& key, int64_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    sizes_[key] = size;
  }
  bool Get(const std::string& key, int64_t* size) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sizes_.find(key);
    if (it == sizes_.end()) return false;
    *size = it->second;
    return true;
  }
  void Erase(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    sizes_.erase(key);
  }

 private:
  std::mutex mu_;
  std::map<std::string, int64_t> sizes_;
};

// One call of any of the three methods; others are UNIMPLEMENTED.
class Call : public grpc::ServerGenericBidiReactor {
 public:
  Call(grpc::GenericCallbackServerContext* context, Objects& objects, int64_t chunk_bytes,
       const grpc::ByteBuffer& full_chunk)
      : method_(context->method()),
        objects_(objects),
        chunk_bytes_(chunk_bytes),
        full_chunk_(full_chunk) {
    if (method_ == kUpload || method_ == kDownload || method_ == kDelete) {
      StartRead(&in_);
    } else {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, method_));
    }
  }

 private:
  void OnReadDone(bool ok) override {
    if (method_ == kUpload) return OnUploadRead(ok);
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
    if (method_ == kDelete) {
      v1::DeleteRequest request;
      if (!Parse(in_, request)) return Finish(Malformed());
      objects_.Erase(request.key());
      out_ = Serialize(v1::DeleteResponse());
      return StartWriteAndFinish(&out_, grpc::WriteOptions(), grpc::Status::OK);
    }
    v1::DownloadRequest request;
    if (!Parse(in_, request)) return Finish(Malformed());
    if (!objects_.Get(request.key(), &remaining_)) {
      return Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, request.key()));
    }
    v1::DownloadResponse head;
    head.mutable_metadata()->set_key(request.key());
    head.mutable_metadata()->set_size(remaining_);
    head.mutable_metadata()->set_length(remaining_);
    v1::DownloadResponse trailer;
    trailer.mutable_trailer()->set_size(remaining_);
    trailer_ = Serialize(trailer);
    out_ = Serialize(head);
    StartWrite(&out_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "caller gone"));
    if (remaining_ == 0) {
      return StartWriteAndFinish(&trailer_, grpc::WriteOptions(), grpc::Status::OK);
    }
    if (remaining_ >= chunk_bytes_) {
      out_ = full_chunk_;  // by reference: the slices are shared, not copied
      remaining_ -= chunk_bytes_;
    } else {
      v1::DownloadResponse last;
      last.set_data(std::string(remaining_, 'x'));
      out_ = Serialize(last);
      remaining_ = 0;
    }
    StartWrite(&out_);
  }

  void OnUploadRead(bool ok) {
    if (!ok) {
      objects_.Put(key_, received_);
      v1::UploadResponse response;
      response.set_key(key_);
      response.set_size(received_);
      out_ = Serialize(response);
      return StartWriteAndFinish(&out_, grpc::WriteOptions(), grpc::Status::OK);
    }
    if (first_) {
      v1::UploadRequest request;
      if (!Parse(in_, request)) return Finish(Malformed());
      key_ = request.spec().key();
      first_ = false;
    } else {
      // The data's length without parsing it: the message less its field's tag and length.
      const int64_t length = static_cast<int64_t>(in_.Length());
      received_ += std::max<int64_t>(0, length - 2 - VarintBytes(length));
    }
    StartRead(&in_);
  }

  static int VarintBytes(int64_t value) {
    int bytes = 1;
    while (value >= 128) value >>= 7, ++bytes;
    return bytes;
  }

  static grpc::Status Malformed() {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed message");
  }

  void OnDone() override { delete this; }

  const std::string method_;
  Objects& objects_;
  const int64_t chunk_bytes_;
  const grpc::ByteBuffer full_chunk_;
  grpc::ByteBuffer in_;
  grpc::ByteBuffer out_;
  grpc::ByteBuffer trailer_;
  int64_t remaining_ = 0;
  std::string key_;
  int64_t received_ = 0;
  bool first_ = true;
};

class Service : public grpc::CallbackGenericService {
 public:
  explicit Service(int64_t chunk_bytes) : chunk_bytes_(chunk_bytes) {
    v1::DownloadResponse chunk;
    chunk.set_data(std::string(chunk_bytes, 'x'));
    full_chunk_ = Serialize(chunk);
  }

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Call(context, objects_, chunk_bytes_, full_chunk_);
  }

 private:
  const int64_t chunk_bytes_;
  grpc::ByteBuffer full_chunk_;
  Objects objects_;
};

int Main() {
  const int64_t chunk_bytes = absl::GetFlag(FLAGS_chunk_bytes);
  if (chunk_bytes <= 0) {
    std::cerr << "grpc_ceiling: --chunk_bytes must be positive\n";
    return 2;
  }
  grpc::EnableDefaultHealthCheckService(true);
  Service service(chunk_bytes);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  builder.SetMaxReceiveMessageSize(16 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "grpc_ceiling: cannot serve on " << absl::GetFlag(FLAGS_listen) << "\n";
    return 1;
  }
  const std::string& listen = absl::GetFlag(FLAGS_listen);
  std::cout << "listening on " << listen.substr(0, listen.rfind(':')) << ":" << port << std::endl;
  server->Wait();
  return 0;
}

}  // namespace
}  // namespace objgate::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The gRPC transport's ceiling for objgate_bench: Upload, Download and Delete served "
      "from memory with no store behind them.");
  absl::ParseCommandLine(argc, argv);
  return objgate::bench::Main();
}
