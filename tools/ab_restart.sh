#!/bin/bash
# Restart time of ledgerd builds on one ledger, alternating them:
#   tools/ab_restart.sh SECONDS ROUNDS LEDGERD...
# Fills a fresh ledger under /var/tmp (on disk) with SECONDS of
# `ledger_load --mode batch --batch 100 --clients 8` against the first
# build (projections on), stops it cleanly, then ROUNDS times starts each
# build on that ledger and prints its "started in" line (ledgerd's own
# breakdown) and the CPU time it spent until its --port_file appeared.
set -euo pipefail
SECONDS_OF_LOAD=${1:?usage: tools/ab_restart.sh SECONDS ROUNDS LEDGERD...}
ROUNDS=${2:?usage: tools/ab_restart.sh SECONDS ROUNDS LEDGERD...}
shift 2
[ $# -ge 1 ] || { echo "usage: tools/ab_restart.sh SECONDS ROUNDS LEDGERD..." >&2; exit 2; }
LOAD=${LOAD:-build/tools/ledger_load}
DIR=/var/tmp/ab_restart.$$
PORT=50094
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR"

"$1" --data_dir "$DIR/data" --listen 127.0.0.1:$PORT --undefok=insecure_no_auth --insecure_no_auth >"$DIR/log" 2>&1 &
pid=$!
sleep 2
"$LOAD" --target 127.0.0.1:$PORT --mode batch --batch 100 --clients 8 \
  --duration_s "$SECONDS_OF_LOAD" --warmup_s 0 --json | tail -1 |
  grep -o '"events":[0-9]*'
kill "$pid"
wait "$pid" || true

for r in $(seq 1 "$ROUNDS"); do
  for bin in "$@"; do
    rm -f "$DIR/port"
    "$bin" --data_dir "$DIR/data" --listen 127.0.0.1:$PORT --undefok=insecure_no_auth --insecure_no_auth \
      --port_file "$DIR/port" >"$DIR/log" 2>&1 &
    pid=$!
    while [ ! -s "$DIR/port" ]; do sleep 0.05; done
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' \
      "/proc/$pid/stat")
    echo "round $r $bin $(grep -m1 'started in' "$DIR/log") cpu ${cpu}s"
    kill "$pid"
    wait "$pid" || true
  done
done
