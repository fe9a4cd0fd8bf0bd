#!/usr/bin/env bash
# Builds objgate_bench with -c opt and runs it from the repository root: a reference store
# (objects on tmpfs, /dev/shm) and gateways of its own on loopback, every scenario through
# the gateway and directly against the store, then tables on stdout and
# bench-results.json. Arguments go to the bench:
#   tools/bench/run_bench.sh --quick                       # smoke-sized, well under a minute
#   tools/bench/run_bench.sh                               # the full plan, several minutes
#   tools/bench/run_bench.sh --upstream=http://store:9000  # another store of the dialect
#   tools/bench/run_bench.sh --gateway_flags=--access_log=false --json_out=/tmp/b.json
#   tools/bench/run_bench.sh --upstream=s3 --scenarios=small   # against a local Ceph RGW
# --upstream=s3 is this script's: it starts a throwaway Ceph RGW with tools/ceph/rgw.sh in
# a temporary directory, runs the bench with the gateway on its S3 dialect and the direct
# path sending SigV4-signed S3 requests with libcurl, and stops the RGW and removes the
# directory however the run ends. See --help.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

usage() {
  cat <<'EOF'
usage: tools/bench/run_bench.sh [--upstream=s3] [objgate_bench flags]

Builds objgate_bench, the gateway and the reference store with -c opt and runs the bench
from the repository root; every flag but --upstream=s3 goes to the bench (listed below).

--upstream=s3   Benchmark the gateway's S3 dialect on a local Ceph RGW: start one with
                tools/ceph/rgw.sh (objects in RAM) in a temporary directory, run the gateway
                with --upstream_dialect=s3 on it, and compare it with direct S3 access at the
                same concurrency: PutObject, GetObject, ListObjectsV2 and DeleteObject signed
                with SigV4 and sent with libcurl. Scenarios large and small unless --scenarios
                says otherwise (memory and connections work too). The RGW is stopped and its
                directory removed however the run ends.
                The RGW frees deleted objects' data within seconds and answers with
                TCP_NODELAY (tools/ceph/rgw.sh sets both). OBJGATE_RGW_MEMSTORE_BYTES caps the bytes
                it may hold, 8 GiB here by default: the full plan holds 4 x 1 GiB at once,
                and the OSD takes about twice what it holds in memory. TMPDIR is where its
                directory goes.
--upstream_dialect=s3 --upstream=URL --s3_bucket=NAME
                Any other S3 endpoint and existing bucket instead (flags of the bench), with
                AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set.

Examples:
  tools/bench/run_bench.sh --scenarios=small
  tools/bench/run_bench.sh --upstream=s3 --scenarios=small  # about 4 min
  tools/bench/run_bench.sh --upstream=s3                    # large and small
  tools/bench/run_bench.sh --upstream=s3 --quick            # smoke-sized
EOF
}

local_s3=0
help=0
bench_args=()
for arg in "$@"; do
  case $arg in
    --upstream=s3) local_s3=1 ;;
    -h | --help | -help) help=1 ;;
    *) bench_args+=("$arg") ;;
  esac
done

bazel build -c opt //tools/bench:objgate_bench //tools/bench:grpc_ceiling \
  //tools/bench:upstream_floor //server:gateway \
  //tools/refstore:refstore
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
bench=(
  "$bin/tools/bench/objgate_bench"
  --gateway_binary="$bin/server/gateway"
  --refstore_binary="$bin/tools/refstore/refstore"
  --grpc_ceiling_binary="$bin/tools/bench/grpc_ceiling"
  --upstream_floor_binary="$bin/tools/bench/upstream_floor"
)

if ((help)); then
  usage
  echo
  exec "${bench[@]}" --help
fi
if ((!local_s3)); then
  exec "${bench[@]}" ${bench_args[@]+"${bench_args[@]}"}
fi

# From here on the RGW and the bench are ours to stop, on any exit: the bench runs in the
# background so that a signal to this script is handled at once, not when it finishes.
rgw_dir=""
bench_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $bench_pid ]]; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  if [[ -n $rgw_dir ]]; then
    tools/ceph/rgw.sh stop "$rgw_dir/rgw" ||
      echo "run_bench.sh: could not stop the RGW in $rgw_dir" >&2
    rm -rf "$rgw_dir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rgw_dir=$(mktemp -d "${TMPDIR:-/tmp}/objgate-bench-rgw.XXXXXX")
OBJGATE_RGW_MEMSTORE_BYTES=${OBJGATE_RGW_MEMSTORE_BYTES:-8589934592} \
  tools/ceph/rgw.sh start "$rgw_dir/rgw" --bucket objgate-bench >/dev/null
set -a
# shellcheck source=/dev/null
source "$rgw_dir/rgw/rgw.env"
set +a

"${bench[@]}" --upstream_dialect=s3 --upstream="$OBJGATE_S3_ENDPOINT" \
  --s3_bucket="$OBJGATE_S3_BUCKET" --s3_region="$OBJGATE_S3_REGION" \
  --upstream_kind="local Ceph RGW (tools/ceph/rgw.sh), objects in RAM" \
  --work_dir="$rgw_dir" \
  ${bench_args[@]+"${bench_args[@]}"} </dev/null &
bench_pid=$!
rc=0
wait "$bench_pid" || rc=$?
bench_pid=""
exit "$rc"
