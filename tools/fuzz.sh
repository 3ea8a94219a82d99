#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) in build-fuzz/ with clang-14 and runs
# each for a bounded time, one after the other:
#   tools/fuzz.sh [SECONDS_PER_FUZZER]     (default 30)
#   tools/fuzz.sh --runs N                 (the test command's: N inputs each
#                                           from seed 1, at most 30 s each)
# Each starts from its seed corpus and regression inputs, copied to a
# scratch directory so that the tree does not change. Prints each fuzzer's
# runs, coverage (libFuzzer's last cov:) and crashes; a crash's input is
# kept under build-fuzz/fuzz-crashes/<time of the run>/<fuzzer>/ and named,
# and the script then exits 1. A crash is fixed in the code, and its input committed to
# fuzz/regressions/<fuzzer>/ (fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
usage() {
  echo "usage: tools/fuzz.sh [SECONDS_PER_FUZZER] | --runs N" >&2
  exit 2
}
if [[ ${1:-} == --runs ]]; then
  [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage
  # The same inputs on every machine (a fixed seed and count); the time
  # limit only guards against a machine far slower than this one.
  limits=(-runs="$2" -seed=1 -max_total_time=30)
else
  seconds=${1:-30}
  [[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
  limits=(-max_total_time="$seconds")
fi
fuzzers=(record decide calendar flags)

CC=clang-14 CXX=clang++-14 tools/build.sh build-fuzz -DLEDGER_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
logs=build-fuzz/fuzz-logs
run_crashes=build-fuzz/fuzz-crashes/$(date +%Y%m%d-%H%M%S)
mkdir -p "$logs"
export UBSAN_OPTIONS=print_stacktrace=1
failed=0
printf '%-10s %12s %8s %8s\n' fuzzer runs cov crashes
for name in "${fuzzers[@]}"; do
  corpus=$scratch/$name
  crashes=$run_crashes/$name
  mkdir -p "$corpus" "$crashes"
  find "fuzz/corpus/$name" "fuzz/regressions/$name" -type f ! -name 'README*' \
    -exec cp {} "$corpus/" \;
  status=0
  "build-fuzz/fuzz/${name}_fuzzer" "$corpus" "${limits[@]}" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$crashes/" >"$logs/$name.log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$name.log")
  cov=$(grep -o 'cov: [0-9]*' "$logs/$name.log" | tail -n 1 | cut -d' ' -f2)
  found=$(find "$crashes" -type f | sort)
  printf '%-10s %12s %8s %8s\n' "$name" "${runs:-?}" "${cov:-?}" \
    "$(find "$crashes" -type f | wc -l)"
  if [[ -n $found ]]; then
    sed 's/^/  new crash input: /' <<<"$found"
    failed=1
  elif ((status != 0)); then
    echo "  $name exited with status $status, see $logs/$name.log"
    failed=1
  fi
done
find "$run_crashes" -type d -empty -delete
if ((failed)); then
  echo "fuzz: failures above (logs in $logs/)" >&2
fi
exit "$failed"
