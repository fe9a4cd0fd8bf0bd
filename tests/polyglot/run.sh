#!/usr/bin/env bash
# Calls the gateway from Python, Node and Go the way a service developer would: builds the
# gateway and the reference store, starts both on free ports with a temporary data
# directory, then runs client/python's, client/node's and client/go's tests and examples
# against them.
#
# With OBJGATE_S3_ENV naming an rgw.env (tools/ceph/rgw.sh writes one), it also creates a
# bucket of this run's own on that S3 endpoint with boto3, starts a second gateway with
# --upstream_dialect=s3 on it, runs client/python's tests and example against that gateway
# too, and then tests/polyglot/s3_interop_test.py, which checks the gateway's objects with
# boto3 as an independent S3 client. The bucket is emptied and deleted on exit. Without
# OBJGATE_S3_ENV the S3 suites are skipped with a note on stderr, or, with
# OBJGATE_REQUIRE_S3=1, each counts one failure.
#
# Prints "python: N passed, M failed", "node: N passed, M failed", "go: N passed, M
# failed" and, with S3, "python on s3: N passed, M failed" and "s3 interop: N passed, M
# failed" as each suite ends (an example counts as one case), then the total "N passed, M
# failed" on a line of its own, and exits non-zero if anything failed. Everything it starts
# is stopped on exit.
#
# Needs what tools/setup.sh installs (Debian's python3-grpcio, python3-protobuf,
# python3-boto3 and protobuf-compiler-grpc; golang-go, protoc-gen-go, protoc-gen-go-grpc and
# the Go packages client/go builds from, offline, with client/go/go_offline.sh), plus node
# and npm; client/node/node_modules is installed with `npm ci` when missing, which needs
# the npm registry.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1

# Debian's interpreter, the one python3-grpcio and python3-protobuf are installed for; a
# python3 earlier on PATH (pyenv, a venv) cannot see them.
python=/usr/bin/python3
readonly ready_timeout_seconds=30

s3_env=${OBJGATE_S3_ENV:-}
s3_required=${OBJGATE_REQUIRE_S3:-0}

work=$(mktemp -d "${TMPDIR:-/tmp}/objgate-polyglot.XXXXXX")
pids=()
# The S3 bucket this run created, deleted on exit once the gateway using it has stopped.
s3_bucket=
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [[ -n $s3_bucket ]] &&
     ! "$python" tests/polyglot/s3_bucket.py delete "$s3_env" "$s3_bucket"; then
    echo "run.sh: bucket $s3_bucket is left on $s3_env's endpoint" >&2
  fi
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

# Whether the S3 suites are to run (or, not able to, to count as failures).
s3_wanted() {
  [[ -n $s3_env || $s3_required == 1 ]]
}

# When the S3 suites cannot run, each counts one failure.
fail_s3_suites() {
  echo "run.sh: $*" >&2
  report "python on s3" 0 1
  report "s3 interop" 0 1
}

# When nothing could run, each suite counts one failure so the summary still adds up.
fail_before_suites() {
  echo "run.sh: $1" >&2
  report python 0 1
  report node 0 1
  report go 0 1
  if s3_wanted; then fail_s3_suites "the S3 suites did not run either"; fi
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

# Reads a unittest log (run at verbosity 2) into $passed and $failed; a run that did not
# finish counts one failure.
unittest_counts() {
  local log=$1 what=$2
  # unittest ends with "Ran N tests in Xs", then "OK" or "FAILED (failures=F, errors=E)",
  # each part followed by ", skipped=S" when there are skips.
  local ran failures errors skipped
  ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$log")
  failures=$(grep -oE 'failures=[0-9]+' "$log" | tail -n 1 | cut -d= -f2)
  errors=$(grep -oE 'errors=[0-9]+' "$log" | tail -n 1 | cut -d= -f2)
  skipped=$(grep -oE 'skipped=[0-9]+' "$log" | tail -n 1 | cut -d= -f2)
  failed=$((${failures:-0} + ${errors:-0}))
  passed=$((${ran:-0} - failed - ${skipped:-0}))
  if [[ -z $ran ]]; then
    echo "run.sh: $what did not finish" >&2
    failed=1 passed=0
  fi
}

# Generates the Python stubs into $stubs once; later calls only say whether that worked.
stubs="$work/python-stubs"
python_stubs() {
  [[ -d $stubs/storage ]] || client/python/generate_stubs.sh "$stubs"
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

bazel build //server:gateway //tools/refstore:refstore //tests/support:corrupting_proxy ||
  fail_before_suites "bazel could not build the gateway and the reference store"
bin=$(bazel info bazel-bin 2>/dev/null) || fail_before_suites "bazel info bazel-bin failed"
# The clients' CRC32C tests put it between themselves and the gateway.
export OBJGATE_CORRUPTING_PROXY="$bin/tests/support/corrupting_proxy"

start_server refstore 'refstore listening on http://*' \
  "$bin/tools/refstore/refstore" --listen=127.0.0.1:0 --data_dir="$work/data" ||
  fail_before_suites "the reference store did not start"
upstream=${ready_line#refstore listening on }
start_server gateway 'objgate gateway * listening on *' \
  "$bin/server/gateway" --listen=127.0.0.1:0 --upstream="$upstream" ||
  fail_before_suites "the gateway did not start"
target=${ready_line#* listening on }
target=${target%% *}

# Runs client/python's tests and example against the gateway at $2, reported as suite $1.
python_suite() {
  local suite=$1 target=$2
  echo
  echo "== $suite: $python client/python/objgate_test.py and example.py against $target"
  local log="$work/${suite// /-}-test.log"
  if ! "$python" -c 'import grpc, google.protobuf' 2>/dev/null; then
    echo "run.sh: $python cannot import grpc and google.protobuf; install python3-grpcio" \
         "and python3-protobuf (tools/setup.sh does)" >&2
    report "$suite" 0 1
    return
  fi
  if ! python_stubs; then
    report "$suite" 0 1
    return
  fi

  OBJGATE_TARGET=$target PYTHONPATH=$stubs "$python" client/python/objgate_test.py 2>&1 |
    tee "$log"
  local passed failed
  unittest_counts "$log" "the Python test ($suite)"

  run_case "$suite example" env PYTHONPATH="$stubs" "$python" client/python/example.py \
    --target="$target"
  report "$suite" $((passed + case_passed)) $((failed + 1 - case_passed))
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

# Builds client/go's example into $work and runs it against the gateway at $1.
go_example() {
  client/go/go_offline.sh build -o "$work/go-example" ./example &&
    "$work/go-example" --target="$1"
}

# Runs client/go's tests (`go test -v`) and example against the gateway, built offline from
# Debian's Go packages by client/go/go_offline.sh, which generates the stubs when they are
# missing or stale. Counted from the top-level "--- PASS" and "--- FAIL" lines (subtests are
# their parent's; skips count as neither); a run that fails without a failed test (the build,
# a timeout) counts one failure.
go_suite() {
  echo
  echo "== go: client/go (go test) and its example against $target"
  if ! command -v go >/dev/null; then
    echo "run.sh: go is needed (Debian package golang-go, with the Go packages that" \
         "tools/setup.sh installs)" >&2
    report go 0 1
    return
  fi
  local log="$work/go-test.log"
  OBJGATE_TARGET=$target client/go/go_offline.sh test -count=1 -v -timeout=20m . 2>&1 |
    tee "$log"
  local status=${PIPESTATUS[0]} passed failed
  passed=$(grep -c '^--- PASS' "$log")
  failed=$(grep -c '^--- FAIL' "$log")
  if ((status != 0 && failed == 0)); then
    echo "run.sh: the Go test did not finish (go test exit $status)" >&2
    failed=1
  fi

  run_case "go example" go_example "$target"
  report go $((passed + case_passed)) $((failed + 1 - case_passed))
}

# Prints the value of NAME in the rgw.env $s3_env (NAME=VALUE lines, maybe quoted).
s3_setting() {
  local value
  value=$(sed -n "s/^\(export \)\{0,1\}$1=//p" "$s3_env" | tail -n 1)
  value=${value#[\"\']}
  value=${value%[\"\']}
  echo "$value"
}

# Replaces the shell it runs in (start it in the background) with the gateway on S3, given
# the arguments. Its credentials are s3_suites' $key_id and $secret, from rgw.env alone
# whatever AWS_* the caller's environment holds, and travel in its environment rather than
# on a command line that anyone on the machine can read.
exec_s3_gateway() {
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE
  AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret exec "$bin/server/gateway" "$@"
}

# The S3 half: a bucket of this run's own on $s3_env's endpoint, a gateway with the S3
# dialect on it, client/python's suite against that gateway and the boto3 interop test.
s3_suites() {
  echo
  if [[ -z $s3_env ]]; then
    if [[ $s3_required == 1 ]]; then
      fail_s3_suites "OBJGATE_REQUIRE_S3=1 but OBJGATE_S3_ENV is not set; set it to the" \
        "rgw.env that tools/ceph/rgw.sh start DIR writes"
    else
      echo "run.sh: OBJGATE_S3_ENV is not set, so the S3 suites (python on s3, s3 interop)" \
           "are skipped; to run them: tools/ceph/rgw.sh start DIR, then" \
           "OBJGATE_S3_ENV=DIR/rgw.env tests/polyglot/run.sh" >&2
    fi
    return
  fi
  echo "== s3: a bucket of this run's own on the endpoint in $s3_env"
  if [[ ! -r $s3_env ]]; then
    fail_s3_suites "OBJGATE_S3_ENV=$s3_env is not a readable file"
    return
  fi
  local endpoint key_id secret region
  endpoint=$(s3_setting OBJGATE_S3_ENDPOINT)
  key_id=$(s3_setting AWS_ACCESS_KEY_ID)
  secret=$(s3_setting AWS_SECRET_ACCESS_KEY)
  region=$(s3_setting OBJGATE_S3_REGION)
  if [[ -z $endpoint || -z $key_id || -z $secret ]]; then
    fail_s3_suites "$s3_env does not set OBJGATE_S3_ENDPOINT, AWS_ACCESS_KEY_ID and" \
      "AWS_SECRET_ACCESS_KEY"
    return
  fi
  if ! "$python" -c 'import boto3' 2>/dev/null; then
    fail_s3_suites "$python cannot import boto3; install python3-boto3 (tools/setup.sh does)"
    return
  fi
  # S3 bucket names: 3 to 63 of a-z, 0-9 and '-'.
  local bucket
  bucket=$(printf 'objgate-polyglot-%s-%04x%04x' "$(date +%Y%m%d%H%M%S)" $RANDOM $RANDOM)
  if ! "$python" tests/polyglot/s3_bucket.py create "$s3_env" "$bucket"; then
    fail_s3_suites "could not create bucket $bucket on $endpoint"
    return
  fi
  s3_bucket=$bucket
  echo "-- bucket $bucket on $endpoint"

  if ! start_server gateway-s3 'objgate gateway * listening on *' \
         exec_s3_gateway --listen=127.0.0.1:0 --upstream_dialect=s3 \
         --upstream="$endpoint" --s3_bucket="$bucket" --s3_region="${region:-us-east-1}"; then
    fail_s3_suites "the gateway with the S3 dialect did not start"
    return
  fi
  local s3_target=${ready_line#* listening on }
  s3_target=${s3_target%% *}

  python_suite "python on s3" "$s3_target"

  echo
  echo "== s3 interop: $python tests/polyglot/s3_interop_test.py against $s3_target and" \
       "boto3 on $endpoint"
  if ! python_stubs; then
    report "s3 interop" 0 1
    return
  fi
  local log="$work/s3-interop-test.log" passed failed
  OBJGATE_TARGET=$s3_target OBJGATE_S3_ENV=$s3_env OBJGATE_S3_TEST_BUCKET=$bucket \
    PYTHONPATH="client/python:$stubs" "$python" tests/polyglot/s3_interop_test.py 2>&1 |
    tee "$log"
  unittest_counts "$log" "the S3 interop test"
  report "s3 interop" "$passed" "$failed"
}

python_suite python "$target"
node_suite
go_suite
s3_suites
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
