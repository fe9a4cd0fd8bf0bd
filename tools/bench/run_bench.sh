#!/usr/bin/env bash
# Builds objgate_bench with -c opt and runs it from the repository root: a reference store
# (objects on tmpfs, /dev/shm) and gateways of its own on loopback, every scenario through
# the gateway and directly against the store, then tables on stdout and
# bench-results.json. Arguments go to the bench:
#   tools/bench/run_bench.sh --quick                       # smoke-sized, well under a minute
#   tools/bench/run_bench.sh                               # the full plan, several minutes
#   tools/bench/run_bench.sh --upstream=http://store:9000  # another store of the dialect
#   tools/bench/run_bench.sh --gateway_flags=--access_log=false --json_out=/tmp/b.json
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

bazel build -c opt //tools/bench:objgate_bench //server:gateway //tools/refstore:refstore
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
exec "$bin/tools/bench/objgate_bench" \
  --gateway_binary="$bin/server/gateway" \
  --refstore_binary="$bin/tools/refstore/refstore" \
  "$@"
