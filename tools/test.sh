#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test, then prints a summary;
# exits non-zero if anything failed. It first starts a local S3 server (Ceph RGW, see
# tools/ceph/rgw.sh) for the S3 suites, and stops it at the end. A full run has five phases:
#   1. bazel test //...                      unit, end-to-end, fault, soak and example suites
#   2. bazel test --config=asan //... (less the two suites that measure memory, which
#      AddressSanitizer inflates, the 1 GiB resumable-upload kills, whose logic the
#      smaller resumable suites cover, and the fleet suite, whose checks are timed against
#      the balancers' and which gigabytes of load make slow under ASan):
#      AddressSanitizer and UndefinedBehaviorSanitizer
#   3. bazel test --config=tsan on the units whose synchronisation ThreadSanitizer can see:
#      the connection pool, the curl_multi client and the blocking executor (std::mutex,
#      many threads), the retry loop and retrying upstream, and the upload and download
#      streams (tools/tsan_suppressions.txt lists what is left out). Not the rest:
#      Debian's Abseil and gRPC are not built for TSan, so it cannot see their locks and
#      reports races that are not there (see tests/fuzz/README.md).
#   4. tools/fuzz.sh 10                      every libFuzzer target for 10 seconds
#   5. tests/polyglot/run.sh                 the Python, Node and Go suites
#
# Arguments narrow the run to phase 1 with them: target patterns (//server/...) and Bazel
# flags (--config=asan, --test_filter=...).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

tools/setup.sh || { echo "test.sh: setup failed" >&2; exit 1; }

targets=()
flags=()
for arg in "$@"; do
  case "$arg" in
    //*|:*|-//*) targets+=("$arg") ;;
    *) flags+=("$arg") ;;
  esac
done
full_run=0
if (($# == 0)); then full_run=1; fi
((${#targets[@]})) || targets=(//...)

log=$(mktemp)

# The S3 suites run against a real S3 server: a single-node Ceph RGW (tools/ceph/rgw.sh)
# that lives for the whole run, in a directory of this checkout's own so that two
# checkouts can test side by side and Bazel's cached results stay valid between runs.
s3_dir="${TMPDIR:-/tmp}/objgate-s3-$(printf '%s' "$root" | md5sum | cut -c1-8)"
stop_s3() { tools/ceph/rgw.sh stop "$s3_dir" >/dev/null 2>&1; rm -rf "$s3_dir"; }
trap 'rm -f "$log"; stop_s3' EXIT
stop_s3
s3_started=1
echo "== test.sh: starting a local S3 (Ceph RGW) in $s3_dir"
if ! OBJGATE_RGW_MEMSTORE_BYTES=$((8 << 30)) tools/ceph/rgw.sh start "$s3_dir" >/dev/null; then
  echo "test.sh: the local S3 did not start; the S3 suites will fail" >&2
  s3_started=0
fi
# The suites fail, rather than skip, without it.
export OBJGATE_S3_ENV="$s3_dir/rgw.env" OBJGATE_REQUIRE_S3=1
s3_env=(--test_env=OBJGATE_S3_ENV --test_env=OBJGATE_REQUIRE_S3)

passed=0
failed=0
summary=()

# Runs `bazel test` with the given flags (before --) and targets, and adds the test cases
# of the targets it ran to the totals, read from their JUnit files.
bazel_phase() {
  local name=$1
  shift
  local phase_flags=() phase_targets=() seen_separator=0
  for arg in "$@"; do
    if [[ $arg == -- ]]; then seen_separator=1; continue; fi
    if ((seen_separator)); then phase_targets+=("$arg"); else phase_flags+=("$arg"); fi
  done
  echo "== test.sh: $name: bazel test ${phase_flags[*]} ${phase_targets[*]}"
  bazel test --test_summary=short "${s3_env[@]}" "${phase_flags[@]}" -- "${phase_targets[@]}" \
    2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local testlogs
  testlogs=$(bazel info "${phase_flags[@]}" bazel-testlogs 2>/dev/null)
  local targets_passed targets_failed cases=0 case_failures=0
  targets_passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
  targets_failed=$(grep -cE '^//[^ ]+ +(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|INCOMPLETE)' "$log")
  local target tests failures errors
  while read -r target; do
    local xml="$testlogs/${target#//}"
    xml="${xml/://}/test.xml"
    [[ -f $xml ]] || continue
    read -r tests failures errors < <(
      sed -n 's/^<testsuites tests="\([0-9]*\)" failures="\([0-9]*\)" disabled="[0-9]*" errors="\([0-9]*\)".*/\1 \2 \3/p' "$xml")
    if [[ -n ${tests:-} ]]; then
      cases=$((cases + tests))
      case_failures=$((case_failures + failures + errors))
    else
      # Not a GoogleTest binary (a shell test): one case, as Bazel judged it.
      cases=$((cases + 1))
    fi
  done < <(sed -nE 's|^(//[^ ]+) +(\(cached\) )?PASSED.*|\1|p' "$log")
  # A target that failed counts at least once, whatever its JUnit file says.
  case_failures=$((case_failures + targets_failed))
  if ((rc != 0 && targets_failed == 0)); then case_failures=$((case_failures + 1)); fi
  passed=$((passed + cases - (case_failures - targets_failed)))
  failed=$((failed + case_failures))
  summary+=("$name: $targets_passed targets passed, $targets_failed failed; $cases test cases")
}

bazel_phase "tests" "${flags[@]}" -- "${targets[@]}"

if ((full_run)); then
  bazel_phase "sanitizers" --config=asan -- //... \
    -//tests/gateway:gateway_large_object_test -//tests/soak:soak_short_test \
    -//tests/gateway:gateway_resumable_kill_test -//tests/fleet:fleet_test

  bazel_phase "thread sanitizer" --config=tsan \
    --test_env=TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tools/tsan_suppressions.txt" \
    -- //server/http:curl_handle_pool_test //server/http:curl_multi_http_client_test \
    //server/service:blocking_executor_test \
    //common/retry:retry_loop_test //server/upstream:retrying_upstream_test \
    //server/service:upload_stream_test //server/service:download_stream_test

  echo "== test.sh: fuzzers: tools/fuzz.sh 10"
  tools/fuzz.sh 10 2>&1 | tee "$log"
  fuzz_rc=${PIPESTATUS[0]}
  fuzz_ok=$(grep -cE '^[a-z0-9_]+ +[0-9?]+ +[0-9]+  ok$' "$log")
  fuzz_bad=$(grep -cE '^[a-z0-9_]+ +[0-9?]+ +[0-9]+  FOUND' "$log")
  if ((fuzz_rc != 0 && fuzz_bad == 0)); then fuzz_bad=1; fi
  passed=$((passed + fuzz_ok))
  failed=$((failed + fuzz_bad))
  summary+=("fuzzers: $fuzz_ok ran clean, $fuzz_bad found something or failed")

  echo "== test.sh: python, node and go: tests/polyglot/run.sh"
  tests/polyglot/run.sh 2>&1 | tee "$log"
  polyglot_rc=${PIPESTATUS[0]}
  polyglot_passed=0
  polyglot_failed=0
  read -r polyglot_passed polyglot_failed < <(
    sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -n 1) || true
  if ((polyglot_rc != 0 && ${polyglot_failed:-0} == 0)); then polyglot_failed=1; fi
  passed=$((passed + ${polyglot_passed:-0}))
  failed=$((failed + ${polyglot_failed:-0}))
  summary+=("python, node and go: ${polyglot_passed:-0} passed, ${polyglot_failed:-0} failed")
fi

if ((s3_started == 0)); then
  failed=$((failed + 1))
  summary+=("local S3: did not start (tools/ceph/rgw.sh)")
fi

echo
for line in "${summary[@]}"; do echo "test.sh: $line"; done
echo "Tests: $passed passed, $failed failed"
((failed == 0))
