#!/usr/bin/env bash
# Builds the fuzz targets of tests/fuzz with --config=fuzz (clang-14, libFuzzer, ASan,
# UBSan) and runs each for SECONDS, several at once, one per CPU.
#
#   tools/fuzz.sh        10 s each: the short run tools/test.sh makes
#   tools/fuzz.sh 600    the long run, before a release or after changing a parser
#
# Each fuzzer starts from a scratch copy of its corpus (tests/fuzz/corpus/NAME), so the
# checkout is never written. Prints per fuzzer the inputs executed and whether it found
# anything; exits non-zero on any finding (crash, leak, timeout, out of memory or failed
# property). Findings and the grown corpora stay in $OBJGATE_FUZZ_OUT (default: a new
# temporary directory): turn each finding into tests/fuzz/regressions/NAME/<bug-name> and
# reproduce it with `bazel run //tests/fuzz:NAME_fuzzer -- FILE` (GCC) or with the
# printed libFuzzer binary.
set -uo pipefail

seconds=${1:-10}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: tools/fuzz.sh [SECONDS]   (SECONDS per fuzzer, default 10)" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

for tool in clang-14 clang++-14; do
  command -v "$tool" >/dev/null ||
    { echo "fuzz.sh: $tool is missing: apt-get install clang-14 libclang-rt-14-dev" >&2; exit 2; }
done

# A Bazel output base of its own: in the main one, every switch between --config=fuzz and
# the default would reconfigure the C++ toolchain (clang, then GCC again), and this build
# would queue behind, and hold up, everyone else's. The server exits when idle, and the
# convenience symlinks (bazel-bin, ...) keep pointing at the default build.
output_base=${OBJGATE_FUZZ_OUTPUT_BASE:-${XDG_CACHE_HOME:-$HOME/.cache}/objgate-fuzz/$(
  printf '%s' "$root" | sha256sum | cut -c1-16)}
bazel_fuzz() {
  bazel --output_base="$output_base" --max_idle_secs=600 "$1" --config=fuzz \
    --symlink_prefix=/ "${@:2}"
}

# One fuzzer per tests/fuzz/NAME_fuzzer.cc (see tests/fuzz/fuzz.bzl).
names=()
targets=()
for source in tests/fuzz/*_fuzzer.cc; do
  name=$(basename "$source" _fuzzer.cc)
  names+=("$name")
  targets+=("//tests/fuzz:${name}_fuzzer")
done
echo "fuzz.sh: building ${#targets[@]} fuzzers with --config=fuzz"
bazel_fuzz build "${targets[@]}" || { echo "fuzz.sh: build failed" >&2; exit 2; }
bin=$(bazel_fuzz info bazel-bin 2>/dev/null)

out=${OBJGATE_FUZZ_OUT:-$(mktemp -d -t objgate-fuzz.XXXXXX)}
mkdir -p "$out"

# Runs one fuzzer; its log and findings go to $out/NAME/.
run_fuzzer() {
  local name=$1 dir="$out/$1"
  mkdir -p "$dir/findings"
  rm -rf "$dir/corpus"
  cp -R "tests/fuzz/corpus/$name" "$dir/corpus"
  local dict=()
  [[ -f tests/fuzz/dictionaries/$name.dict ]] && dict=("-dict=tests/fuzz/dictionaries/$name.dict")
  UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin/tests/fuzz/${name}_fuzzer" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/findings/" \
      "$dir/corpus" >"$dir/log" 2>&1
  echo $? >"$dir/exit"
}

jobs_max=$(nproc)
echo "fuzz.sh: running each for ${seconds}s, ${jobs_max} at a time; output in $out"
for name in "${names[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs_max)); do wait -n; done
  run_fuzzer "$name" &
done
wait

failed=0
printf '%-20s %12s %8s  %s\n' fuzzer executions corpus result
for name in "${names[@]}"; do
  dir="$out/$name"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  findings=$(find "$dir/findings" -type f | sort)
  if [[ $(cat "$dir/exit") == 0 && -z $findings ]]; then
    result=ok
  else
    failed=1
    result="FOUND: ${findings:-see $dir/log} ($(grep -m1 -oE 'ERROR: [A-Za-z]+: [a-z-]+|fuzz property failed: .*|runtime error: .*' "$dir/log"))"
  fi
  printf '%-20s %12s %8s  %s\n' "$name" "${execs:-?}" "$(find "$dir/corpus" -type f | wc -l)" \
    "$result"
done
if ((failed)); then
  echo "fuzz.sh: findings above; logs in $out/NAME/log, libFuzzer binaries in $bin/tests/fuzz"
  exit 1
fi
echo "fuzz.sh: nothing found"
