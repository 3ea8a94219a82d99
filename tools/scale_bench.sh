#!/bin/bash
# scale_bench.sh: ledgerd on a big ledger (issue 25's targets). One command
# per ledger size; the figures go into BENCHMARKS.md, "Scale".
#
#   tools/scale_bench.sh DATA_DIR [RESTARTS=3]
#
# Build the ledger first, in process, e.g. 1,000,000 simulated complaints:
#   build/tools/ledger_sim --data_dir /dev/shm/sim1m --cases 1000000 \
#       --first_month 2025-12 --months 12 --seed 42
#
# Measures, each printed on a line of its own:
#   1. the views rebuilt from nothing by ledgerd's runner (rows written),
#      and GetQueue p50/p99 over gRPC per queue: tools/projections_bench
#      (its first line is a fold in its own process, rows not written);
#   2. RESTARTS restarts (SIGTERM, start): time to the port file (commands
#      served) and to the first GetQueue answered (queries served: the
#      views loaded), ledgerd's own start-up line, RSS at that point;
#   3. RSS under load: LOAD_S seconds (default 60) of 8 clients sending
#      single commands (ledger_load --mode single, registering its agents as
#      the centre head HEAD, default h1: ledger_sim's) beside 2 clients
#      paging revisits-due (--mode query); VmRSS and VmHWM (peak) at the end.
# Times depend on the machine and on CPU steal: benchmarks, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: tools/scale_bench.sh DATA_DIR [RESTARTS]}
restarts=${2:-3}
load_s=${LOAD_S:-60}
B=${B:-build}
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
rss_mb() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

start_ledgerd() {
  rm -f "$work/port"
  "$B/services/ledgerd" --data_dir "$dir" --listen 127.0.0.1:0 \
    --insecure_no_auth --publish_shipped_calendar=false \
    --port_file "$work/port" >"$work/log" 2>&1 &
  pid=$!
}
stop_ledgerd() {
  kill "$pid"
  wait "$pid" || true
  pid=
}
wait_port() {
  while [ ! -s "$work/port" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
    sleep 0.005
  done
  cat "$work/port"
}
ctl() { "$B/tools/ledgerctl" --target "127.0.0.1:$port" "$@"; }

echo "scale_bench: $dir ($(du -sh "$dir" | cut -f1))"

# 1. Rebuild and queues (REBUILD=0 skips it: the views stay as they are).
if [ "${REBUILD:-1}" != 0 ]; then
  "$B/tools/projections_bench" --data_dir "$dir" --queries 2000
fi

# 2. Restarts.
for r in $(seq 1 "$restarts"); do
  t0=$(now)
  start_ledgerd
  port=$(wait_port)
  t1=$(now)
  until ctl queue assists-pending --station s1 >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
    sleep 0.005
  done
  t2=$(now)
  echo "restart $r: commands served after $(seconds "$t0" "$t1") s, queries after $(seconds "$t0" "$t2") s, RSS $(rss_mb "$pid") MB"
  grep -h "started in\|loaded their views" "$work/log" | sed 's/^/  /'
  stop_ledgerd
done

# 3. RSS under load.
start_ledgerd
port=$(wait_port)
until ctl queue assists-pending --station s1 >/dev/null 2>&1; do sleep 0.01; done
before=$(rss_mb "$pid")
"$B/tools/ledger_load" --target "127.0.0.1:$port" --mode single --clients 8 \
  --head "${HEAD:-h1}" --duration_s "$load_s" --warmup_s 1 >"$work/load" 2>&1 &
load=$!
"$B/tools/ledger_load" --target "127.0.0.1:$port" --mode query \
  --queue revisits-due --clients 2 --duration_s "$load_s" --warmup_s 1 \
  >"$work/query" 2>&1 || true
wait "$load" || true
echo "under load ($load_s s, 8 clients of single commands + 2 paging revisits-due): RSS $before MB before, $(rss_mb "$pid") MB after, peak (VmHWM) $(hwm_mb "$pid") MB"
tail -n 2 "$work/load" "$work/query" | sed 's/^/  /' 
ctl projections | sed 's/^/  /'
stop_ledgerd
