#!/usr/bin/env bash
# Calls the gateway from Python and Node the way a service developer would: builds the
# gateway and the reference store, starts both on free ports with a temporary data
# directory, then runs client/python's and client/node's tests and examples against them.
#
# Prints "python: N passed, M failed" and "node: N passed, M failed" as each suite ends
# (its example counts as one case), then the total "N passed, M failed" on a line of its
# own, and exits non-zero if anything failed. Everything it starts is stopped on exit.
#
# Needs what tools/setup.sh installs (Debian's python3-grpcio, python3-protobuf and
# protobuf-compiler-grpc), plus node and npm; client/node/node_modules is installed with
# `npm ci` when missing, which needs the npm registry.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1

# Debian's interpreter, the one python3-grpcio and python3-protobuf are installed for; a
# python3 earlier on PATH (pyenv, a venv) cannot see them.
python=/usr/bin/python3
readonly ready_timeout_seconds=30

work=$(mktemp -d "${TMPDIR:-/tmp}/objgate-polyglot.XXXXXX")
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM

total_passed=0
total_failed=0
# Prints a suite's closing line and adds it to the total.
report() {
  local suite=$1 passed=$2 failed=$3
  echo "$suite: $passed passed, $failed failed"
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
}

# When nothing could run, each suite counts one failure so the summary still adds up.
fail_before_suites() {
  echo "run.sh: $1" >&2
  report python 0 1
  report node 0 1
  echo "$total_passed passed, $total_failed failed"
  exit 1
}

# Starts a server with stdout on a pipe and stderr in $work/NAME.log, and waits for the line
# matching PATTERN that says it is ready, which it stores in $ready_line.
start_server() {
  local name=$1 pattern=$2
  shift 2
  local fifo="$work/$name.stdout" fd line deadline
  mkfifo "$fifo"
  "$@" >"$fifo" 2>"$work/$name.log" &
  pids+=($!)
  exec {fd}<"$fifo"
  rm -f "$fifo"
  deadline=$((SECONDS + ready_timeout_seconds))
  while ((SECONDS < deadline)) && read -r -t $((deadline - SECONDS)) -u "$fd" line; do
    # shellcheck disable=SC2053  # $pattern is a glob on purpose.
    if [[ $line == $pattern ]]; then
      echo "$line"
      ready_line=$line
      # Keep draining its stdout so that it never blocks on a full pipe.
      cat <&"$fd" >/dev/null &
      pids+=($!)
      exec {fd}<&-
      return 0
    fi
  done
  exec {fd}<&-
  echo "run.sh: $name did not say it was listening within ${ready_timeout_seconds}s;" \
       "the end of its log:" >&2
  tail -n 20 "$work/$name.log" >&2
  return 1
}

# Runs one case (an example) and reports whether it exited 0.
run_case() {
  local name=$1
  shift
  echo "-- $name"
  if "$@"; then
    case_passed=1
  else
    echo "run.sh: $name failed (exit $?)" >&2
    case_passed=0
  fi
}

bazel build //server:gateway //tools/refstore:refstore ||
  fail_before_suites "bazel could not build the gateway and the reference store"
bin=$(bazel info bazel-bin 2>/dev/null) || fail_before_suites "bazel info bazel-bin failed"

start_server refstore 'refstore listening on http://*' \
  "$bin/tools/refstore/refstore" --listen=127.0.0.1:0 --data_dir="$work/data" ||
  fail_before_suites "the reference store did not start"
upstream=${ready_line#refstore listening on }
start_server gateway 'objgate gateway * listening on *' \
  "$bin/server/gateway" --listen=127.0.0.1:0 --upstream="$upstream" ||
  fail_before_suites "the gateway did not start"
target=${ready_line#* listening on }
target=${target%% *}

python_suite() {
  echo
  echo "== python: $python client/python/objgate_test.py and example.py against $target"
  local stubs="$work/python-stubs" log="$work/python-test.log"
  if ! "$python" -c 'import grpc, google.protobuf' 2>/dev/null; then
    echo "run.sh: $python cannot import grpc and google.protobuf; install python3-grpcio" \
         "and python3-protobuf (tools/setup.sh does)" >&2
    report python 0 1
    return
  fi
  if ! client/python/generate_stubs.sh "$stubs"; then
    report python 0 1
    return
  fi

  OBJGATE_TARGET=$target PYTHONPATH=$stubs "$python" client/python/objgate_test.py 2>&1 |
    tee "$log"
  # unittest ends with "Ran N tests in Xs", then "OK" or "FAILED (failures=F, errors=E)",
  # each part followed by ", skipped=S" when there are skips.
  local ran failures errors skipped
  ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$log")
  failures=$(grep -oE 'failures=[0-9]+' "$log" | tail -n 1 | cut -d= -f2)
  errors=$(grep -oE 'errors=[0-9]+' "$log" | tail -n 1 | cut -d= -f2)
  skipped=$(grep -oE 'skipped=[0-9]+' "$log" | tail -n 1 | cut -d= -f2)
  local failed=$((${failures:-0} + ${errors:-0}))
  local passed=$((${ran:-0} - failed - ${skipped:-0}))
  if [[ -z $ran ]]; then
    echo "run.sh: the Python test did not finish" >&2
    failed=1 passed=0
  fi

  run_case "python example" env PYTHONPATH="$stubs" "$python" client/python/example.py \
    --target="$target"
  report python $((passed + case_passed)) $((failed + 1 - case_passed))
}

node_suite() {
  echo
  echo "== node: client/node/objgate.test.js and example.js against $target"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "run.sh: node and npm are needed (Debian package nodejs, Node 18 or later)" >&2
    report node 0 1
    return
  fi
  if [[ ! -d client/node/node_modules ]]; then
    echo "-- npm ci in client/node"
    # A few quick tries rather than npm's default minutes of retrying an absent network.
    if ! (cd client/node && npm ci --no-audit --no-fund --fetch-retries=1 \
            --fetch-timeout=30000); then
      echo "run.sh: npm ci failed in client/node: npm could not install @grpc/grpc-js and" \
           "@grpc/proto-loader; is its registry ($(npm config get registry)) reachable?" >&2
      report node 0 1
      return
    fi
  fi

  # Spec output for people, TAP in a file for the counts.
  local tap="$work/node-test.tap"
  (cd client/node && OBJGATE_TARGET=$target node --test \
     --test-reporter=spec --test-reporter-destination=stdout \
     --test-reporter=tap --test-reporter-destination="$tap" objgate.test.js)
  local pass fail cancelled
  pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" 2>/dev/null)
  fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" 2>/dev/null)
  cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" 2>/dev/null)
  local passed=${pass:-0} failed=$((${fail:-0} + ${cancelled:-0}))
  if [[ -z $pass ]]; then
    echo "run.sh: the Node test did not finish" >&2
    failed=1
  fi

  run_case "node example" node client/node/example.js --target="$target"
  report node $((passed + case_passed)) $((failed + 1 - case_passed))
}

python_suite
node_suite
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
