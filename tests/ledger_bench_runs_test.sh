#!/usr/bin/env bash
# The benchmark program must keep running and printing its figures. No
# timing is asserted: figures belong in BENCHMARKS.md.
#   ledger_bench_runs_test.sh PATH_TO_LEDGER_BENCH
set -euo pipefail
out=$("$1" --duration_s 0.2 --replay_events 20000 --json)
echo "$out"
grep -Eq '"append_durable_eps":[1-9][0-9]*,.*"replay_events":[1-9][0-9]*,"replay_eps":[1-9][0-9]*,"read_all_eps":[1-9][0-9]*,"head_read_us":[0-9.]*[1-9]' <<<"$out"
