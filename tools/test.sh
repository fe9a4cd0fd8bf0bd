#!/usr/bin/env bash
# Installs what is missing, builds everything, runs every test, and prints a summary.
# Exits non-zero if anything failed. Extra arguments go to `bazel test` (for example
# --config=asan, or a narrower target pattern such as //server/...).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

tools/setup.sh || { echo "test.sh: setup failed" >&2; exit 1; }

targets=()
flags=()
for arg in "$@"; do
  case "$arg" in
    //*|:*) targets+=("$arg") ;;
    *) flags+=("$arg") ;;
  esac
done
# The Python and Node suites belong to a full run, not to a narrowed one.
run_polyglot=0
if ((${#targets[@]} == 0)); then
  targets=(//...)
  run_polyglot=1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

bazel test --test_summary=short "${flags[@]}" -- "${targets[@]}" 2>&1 | tee "$log"
bazel_rc=${PIPESTATUS[0]}

# One line per test target is in the log; the test cases come from the JUnit files.
targets_passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
targets_failed=$(grep -cE '^//[^ ]+ +(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|INCOMPLETE)' "$log")
cases_run=0
cases_failed=0
testlogs=$(bazel info bazel-testlogs 2>/dev/null)
if [[ -d "$testlogs" ]]; then
  while read -r tests failures errors; do
    cases_run=$((cases_run + tests))
    cases_failed=$((cases_failed + failures + errors))
  done < <(find -L "$testlogs" -name test.xml -print0 |
             xargs -0 -r sed -n 's/^<testsuites tests="\([0-9]*\)" failures="\([0-9]*\)" disabled="[0-9]*" errors="\([0-9]*\)".*/\1 \2 \3/p')
fi

if ((bazel_rc != 0)) && ((targets_failed == 0)); then
  echo "test.sh: bazel exited with ${bazel_rc} (build failure?)"
  targets_failed=1
fi

# The Python and Node suites run against a gateway of their own, outside Bazel.
polyglot_rc=0
polyglot_passed=0
polyglot_failed=0
if ((run_polyglot)); then
  tests/polyglot/run.sh 2>&1 | tee "$log"
  polyglot_rc=${PIPESTATUS[0]}
  if read -r polyglot_passed polyglot_failed < <(
       sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -n 1); then :; fi
  if ((polyglot_rc != 0 && polyglot_failed == 0)); then polyglot_failed=1; fi
fi

echo
echo "test.sh: bazel: ${targets_passed} test targets passed, ${targets_failed} failed;" \
     "${cases_run} test cases ran, ${cases_failed} failed"
((run_polyglot)) && echo "test.sh: python and node: ${polyglot_passed} passed, ${polyglot_failed} failed"
passed=$((cases_run - cases_failed + polyglot_passed))
failed=$((cases_failed + polyglot_failed))
if ((failed == 0 && (bazel_rc != 0 || targets_failed != 0))); then failed=1; fi
echo "Tests: ${passed} passed, ${failed} failed"
((bazel_rc == 0 && targets_failed == 0 && polyglot_rc == 0))
