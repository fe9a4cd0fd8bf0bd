#!/usr/bin/env bash
# Generates the Python gRPC stubs for proto/storage/v1/storage.proto into client/python/gen
# (or the directory given as the first argument). The stubs are the contract: regenerate
# them whenever the .proto changes rather than editing or committing them.
#
# Needs Debian's protobuf-compiler and protobuf-compiler-grpc; the generated code runs on
# /usr/bin/python3 with python3-grpcio and python3-protobuf. Put the output directory on
# PYTHONPATH and import `storage.v1.storage_pb2` and `storage.v1.storage_pb2_grpc`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
proto_root=$(cd "$here/../../proto" && pwd)
out_dir=${1:-$here/gen}

for tool in protoc grpc_python_plugin; do
  if ! command -v "$tool" >/dev/null; then
    echo "generate_stubs.sh: $tool not found; install protobuf-compiler and" \
         "protobuf-compiler-grpc (tools/setup.sh does)" >&2
    exit 1
  fi
done

# Start from empty so that stubs of a renamed or removed .proto do not linger; only the
# generated package is removed, never whatever else the output directory holds.
rm -rf "$out_dir/storage"
mkdir -p "$out_dir"
# protoc finds google/protobuf/timestamp.proto in its own include directory; the generated
# code imports google.protobuf.timestamp_pb2 from python3-protobuf.
protoc --proto_path="$proto_root" \
  --python_out="$out_dir" \
  --grpc_out="$out_dir" \
  --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
  storage/v1/storage.proto
echo "generate_stubs.sh: stubs in $out_dir"
