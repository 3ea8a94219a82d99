#!/usr/bin/env bash
# Regenerates every figure in BENCHMARKS.md: builds, then runs ledger_bench
# with its defaults three times and the in-flight sweep once. Prints JSON
# lines.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh build >/dev/null
echo "# one appender, one append at a time: the latency floor (one fsync per append):"
build/tools/ledger_bench --appenders 1 --inflight 1 --duration_s 2 \
  --replay_events 0 --json
echo "# defaults (8 appenders x 16 in flight, 1 event of 200 bytes each), 3 runs:"
for run in 1 2 3; do build/tools/ledger_bench --json; done
echo "# appends in flight per appender (8 appenders):"
for inflight in 1 2 4 8 16 32; do
  build/tools/ledger_bench --inflight "$inflight" --replay_events 0 --json
done
echo "# 8 appenders x 1 in flight, 4 events per append:"
build/tools/ledger_bench --inflight 1 --events_per_append 4 --replay_events 0 --json
echo "# 100 live subscribers (in process, no filter) against none, alternating, 3 runs each:"
for run in 1 2 3; do
  for subscribers in 0 100; do
    build/tools/ledger_bench --subscribers "$subscribers" --duration_s 8 \
      --replay_events 0 --json
  done
done
echo "# projections: a 1,000,000-case ledger built by ledger_sim in memory (/dev/shm),"
echo "# then a full rebuild of all four views and GetQueue latency over gRPC:"
sim_dir=/dev/shm/ledger-bench-1m
if [[ ! -f "$sim_dir/.complete" ]]; then
  rm -rf "$sim_dir"
  build/tools/ledger_sim --data_dir "$sim_dir" --cases 1000000 \
    --first_month 2025-12 --months 12 --seed 42
  touch "$sim_dir/.complete"
fi
for run in 1 2 3; do
  build/tools/projections_bench --data_dir "$sim_dir" --queries 0 --json
done
build/tools/projections_bench --data_dir "$sim_dir" --queries 2000 --json
