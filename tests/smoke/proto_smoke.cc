#include "storage/v1/storage.grpc.pb.h"
int main() { storage::v1::UploadRequest r; r.mutable_spec()->set_key("a"); return r.spec().key().size() == 1 ? 0 : 1; }
