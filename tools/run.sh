#!/usr/bin/env bash
# Installs what is missing, builds, and runs the service in the foreground: the gateway on
# 127.0.0.1:50051 in front of the bundled reference REST store on 127.0.0.1:9000, which
# keeps its objects in ./.objgate-data (OBJGATE_DATA_DIR to change). Arguments go to the
# gateway; with --upstream=URL it fronts that store instead and no reference store starts.
# Ctrl-C stops everything this script started.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

tools/setup.sh
bazel build //server:gateway //tools/refstore:refstore //tools/cli:objgate
bin=$(bazel info bazel-bin 2>/dev/null)

gateway_args=("$@")
own_store=1
for arg in "$@"; do
  case "$arg" in --upstream=*|--upstream) own_store=0 ;; esac
done
if [[ -n "${OBJGATE_UPSTREAM:-}" ]]; then own_store=0; fi

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# Starts a server and waits for its "listening on" line (no fixed sleep), echoing it.
start() {
  local name=$1; shift
  local fifo fd line
  fifo=$(mktemp -u)
  mkfifo "$fifo"
  "$@" >"$fifo" &
  pids+=($!)
  exec {fd}<"$fifo"
  rm -f "$fifo"
  if ! read -r -t 30 -u "$fd" line; then
    echo "run.sh: $name did not start" >&2
    exit 1
  fi
  echo "$line"
  last_ready_line=$line
  # Keep draining its stdout so that it never blocks on a full pipe.
  cat <&"$fd" >/dev/null &
}

if ((own_store)); then
  data_dir=${OBJGATE_DATA_DIR:-$root/.objgate-data}
  mkdir -p "$data_dir"
  start "reference store" "$bin/tools/refstore/refstore" --listen=127.0.0.1:9000 \
    --data_dir="$data_dir"
  echo "reference store data: $data_dir"
  gateway_args=(--upstream=http://127.0.0.1:9000 "${gateway_args[@]}")
fi
start gateway "$bin/server/gateway" "${gateway_args[@]}"
gateway_line=$last_ready_line

gateway_address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' <<<"$gateway_line")
cat <<EOF2

Try it from another terminal:
  export OBJGATE_TARGET=$gateway_address OBJGATE_TENANT=550e8400-e29b-41d4-a716-446655440000
  bazel-bin/tools/cli/objgate put README.md docs/readme.md && bazel-bin/tools/cli/objgate ls --long
Press Ctrl-C to stop.
EOF2
wait -n "${pids[@]}"
