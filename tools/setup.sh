#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and run, and nothing
# else. Idempotent and fast when all is present: apt-get runs only for what is missing.
set -euo pipefail

packages=(
  # Build
  bazel-bootstrap bazel-platforms g++ pkg-config
  # Libraries (see third_party/BUILD.bazel)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libisal-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # libFuzzer targets (tools/fuzz.sh) are built with clang
  clang-14 libclang-rt-14-dev
  # Python stubs and tests run with Debian's interpreter and gRPC
  python3 python3-grpcio python3-protobuf python3-crc32c
  # Go stubs, helper and tests (client/go, built offline from /usr/share/gocode); gRPC 1.33
  # needs github.com/golang/protobuf 1.4 or later, so the 1.5 package, which replaces 1.3
  golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev golang-google-protobuf-dev
  golang-github-golang-protobuf-1-5-dev
  # Scripts, examples and tests (nginx fronts the reference store with TLS and HTTP/2;
  # nginx and HAProxy front a fleet of gateways in tests/fleet)
  curl ca-certificates openssl nginx haproxy
  # S3 tests: a single-node Ceph RADOS Gateway (tools/ceph/rgw.sh), boto3 as an independent
  # S3 client, and pugixml, which reads S3's XML answers
  ceph-mon ceph-osd radosgw ceph-common uuid-runtime python3-boto3 libpugixml-dev
  # A gateway whose clock is an hour off, for the skewed-clock test (tests/gateway)
  faketime
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Node runs the Node client's tests. Machines may bring a newer Node from elsewhere;
# Debian's is enough (the client needs Node 18 or later) where there is none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
