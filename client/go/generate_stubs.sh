#!/usr/bin/env bash
# Generates the Go stubs for proto/storage/v1/storage.proto into client/go/storagepb, the
# package github.com/objgate/objgate/client/go/storagepb that the objgate package imports.
# The stubs are the contract: regenerate them whenever the .proto changes rather than
# editing or committing them (client/go/.gitignore keeps them out of git).
#
# Needs protoc (Debian's protobuf-compiler) with protoc-gen-go and protoc-gen-go-grpc on
# PATH (Debian's protoc-gen-go and protoc-gen-go-grpc; elsewhere
# `go install google.golang.org/protobuf/cmd/protoc-gen-go@latest` and
# `go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@latest`).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
proto_root=$(cd "$here/../../proto" && pwd)
readonly module=github.com/objgate/objgate/client/go
readonly package_dir=storagepb

for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
  if ! command -v "$tool" >/dev/null; then
    echo "generate_stubs.sh: $tool not found; install protobuf-compiler, protoc-gen-go and" \
         "protoc-gen-go-grpc (tools/setup.sh does)" >&2
    exit 1
  fi
done

# The .proto's own go_package names a path inside no Go module; M maps the file to this
# module's package instead, so the .proto stays as every other language reads it. module=
# strips the module path from the output path, so the files land in $package_dir.
mapping="Mstorage/v1/storage.proto=$module/$package_dir;$package_dir"

# Start from empty so that stubs of a renamed or removed .proto do not linger; only the
# generated files are removed.
rm -f "$here/$package_dir"/*.pb.go
mkdir -p "$here/$package_dir"
# protoc finds google/protobuf/timestamp.proto in its own include directory; the generated
# code imports google.golang.org/protobuf/types/known/timestamppb.
protoc --proto_path="$proto_root" \
  --go_out="$here" --go_opt="module=$module" --go_opt="$mapping" \
  --go-grpc_out="$here" --go-grpc_opt="module=$module" --go-grpc_opt="$mapping" \
  storage/v1/storage.proto
echo "generate_stubs.sh: stubs in $here/$package_dir"
