#!/usr/bin/env bash
# Regenerates every figure in BENCHMARKS.md: builds, then runs ledger_bench
# (durable appends, replay, live subscribers), projections_bench on a
# 1,000,000-case ledger, the microbenchmarks, tools/pg_compare.sh
# (PostgreSQL against ledgerd) and ledger_load's read and subscription
# modes. Prints JSON lines. Takes about 40 minutes (20 more the first time,
# to build the 1,000,000-case ledger).
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
echo "# microbenchmarks (Google Benchmark): codec, hashing, Decide/Apply, views:"
build/tools/microbench --benchmark_format=json
echo "# PostgreSQL (pgbench) against ledgerd (ledger_load), 8 clients, durable appends:"
tools/pg_compare.sh
echo "# ledger_load on a ledgerd of its own (disk), 8 clients: replay, queries, subscription lag:"
load_dir=$(mktemp -d /var/tmp/ledger-load.XXXXXX)
build/services/ledgerd --listen 127.0.0.1:0 --port_file "$load_dir/port" --insecure_no_auth \
  --data_dir "$load_dir/data" >/dev/null &
ledgerd_pid=$!
trap 'kill $ledgerd_pid 2>/dev/null; wait $ledgerd_pid; rm -rf "$load_dir"' EXIT
for _ in $(seq 100); do [[ -s $load_dir/port ]] && break; sleep 0.1; done
target=127.0.0.1:$(cat "$load_dir/port")
build/tools/ledger_load --target "$target" --mode batch --duration_s 10 --json
build/tools/ledger_load --target "$target" --mode replay --duration_s 10 --json
build/tools/ledger_load --target "$target" --mode query --duration_s 10 --json
build/tools/ledger_load --target "$target" --mode subscribe --clients 8 \
  --subscribers 10 --duration_s 10 --json
