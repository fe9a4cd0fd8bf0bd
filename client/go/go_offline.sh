#!/usr/bin/env bash
# Runs the go command on client/go without a network: against the Go sources of Debian's
# golang-google-grpc-dev, golang-google-protobuf-dev and their dependencies in
# /usr/share/gocode, which need no module proxy and no ~/go.
#
#   client/go/go_offline.sh test -v .            # OBJGATE_TARGET=host:port for the live tests
#   client/go/go_offline.sh vet ./...
#   client/go/go_offline.sh build -o /tmp/objgate-example ./example
#
# Arguments go to the go command, which runs in client/go. Generates the stubs first
# (generate_stubs.sh) when they are missing or older than the .proto or the script.
#
# How: GOPATH mode (GO111MODULE=off), with a GOPATH of a temporary directory, in which
# src/github.com/objgate/objgate/client/go links to this directory, followed by
# /usr/share/gocode. Debian builds its own Go packages that way, so the packages it ships
# are exactly the ones a GOPATH build of them needs. Module mode would need a go.mod, and
# in its turn the go.mod of every module in the dependency graph, of which Debian ships only
# some (grpc 1.33 requires envoyproxy/go-control-plane, cncf/udpa, ...); GOPATH mode reads
# only the imported packages' sources. go.mod here is for builds with network access.
#
# The build cache is $OBJGATE_GO_CACHE, or client/go/.gocache (git-ignored): the second
# build reuses gRPC's compiled packages. Nothing is written under $HOME.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly import_path=github.com/objgate/objgate/client/go
readonly gocode=/usr/share/gocode

if ! command -v go >/dev/null; then
  echo "go_offline.sh: go not found; install golang-go (tools/setup.sh does)" >&2
  exit 1
fi
for dir in google.golang.org/grpc google.golang.org/protobuf; do
  if [[ ! -d $gocode/src/$dir ]]; then
    echo "go_offline.sh: $gocode/src/$dir is missing; install golang-google-grpc-dev and" \
         "golang-google-protobuf-dev (tools/setup.sh does)" >&2
    exit 1
  fi
done
# gRPC 1.33 marshals messages with github.com/golang/protobuf, which Debian ships as 1.3
# (golang-github-golang-protobuf-1-3-dev) or 1.5. Only 1.4 and later, built on
# google.golang.org/protobuf, can marshal what protoc-gen-go 1.28 generates: with 1.3 every
# call panics ("protobuf tag not enough fields").
if ! grep -qs 'func MessageV2' "$gocode"/src/github.com/golang/protobuf/proto/*.go; then
  echo "go_offline.sh: $gocode/src/github.com/golang/protobuf is older than 1.4; install" \
       "golang-github-golang-protobuf-1-5-dev, which replaces" \
       "golang-github-golang-protobuf-1-3-dev (tools/setup.sh does)" >&2
  exit 1
fi

proto="$here/../../proto/storage/v1/storage.proto"
for stub in "$here/storagepb/storage.pb.go" "$here/storagepb/storage_grpc.pb.go"; do
  if [[ ! $stub -nt $proto || ! $stub -nt $here/generate_stubs.sh ]]; then
    "$here/generate_stubs.sh" >&2
    break
  fi
done

gopath=$(mktemp -d "${TMPDIR:-/tmp}/objgate-gopath.XXXXXX")
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/${import_path%/*}"
ln -s "$here" "$gopath/src/$import_path"

# Every setting the go command would otherwise take from the caller's environment or
# `go env -w` file, so that a GOFLAGS=-mod=vendor or GOPROXY there cannot change the build.
export GO111MODULE=off GOENV=off GOFLAGS= GOPROXY=off GOWORK=off
export GOPATH="$gopath:$gocode"
export GOCACHE=${OBJGATE_GO_CACHE:-$here/.gocache}
# The go command finds the package's import path from the working directory, so it runs in
# the link rather than in client/go itself.
cd "$gopath/src/$import_path"
go "$@"
