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
((${#targets[@]})) || targets=(//...)

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

echo
echo "test.sh: ${targets_passed} test targets passed, ${targets_failed} failed;" \
     "${cases_run} test cases ran, ${cases_failed} failed"
if ((bazel_rc != 0)) && ((targets_failed == 0)); then
  echo "test.sh: bazel exited with ${bazel_rc} (build failure?)"
  targets_failed=1
fi
echo "Tests: $((cases_run - cases_failed)) passed, ${cases_failed} failed"
((bazel_rc == 0 && targets_failed == 0))
