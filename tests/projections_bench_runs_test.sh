#!/usr/bin/env bash
# projections_bench must keep running and printing every stage of what
# bounds a rebuild, over a small simulated ledger. No timing is asserted:
# figures belong in BENCHMARKS.md.
#   projections_bench_runs_test.sh LEDGER_SIM PROJECTIONS_BENCH LEDGERD
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$1" --data_dir "$dir/ledger" --cases 300 --first_month 2025-12 --months 2 \
  --seed 7 >"$dir/sim.log" 2>&1 || { cat "$dir/sim.log"; exit 1; }
out=$("$2" --data_dir "$dir/ledger" --queries 2 --ledgerd "$3" --json)
echo "$out"
# The four stages, each with a rate and a CPU time per event that were
# measured (not the -1 of a figure that could not be read).
for stage in "the log read (hashes checked)" "the log read and decoded" \
  "folded into the four views" "ledgerd's runner: folded and the rows written"; do
  grep -Fq "{\"stage\":\"$stage\",\"s\":" <<<"$out" || {
    echo "no stage: $stage" >&2
    exit 1
  }
done
[[ $(grep -o '"events_per_s":[1-9][0-9]*,"cpu_us_per_event":[0-9]' <<<"$out" | wc -l) -eq 4 ]]
grep -Eq '^\{"events":[1-9][0-9]*,"complaints":300,' <<<"$out"
# Every queue asked for answered.
[[ $(grep -o '"queue":' <<<"$out" | wc -l) -eq 6 ]]
