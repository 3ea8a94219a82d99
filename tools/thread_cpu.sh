#!/bin/bash
# Where a ledgerd's CPU goes under one load, by thread name: the user +
# system seconds each kind of thread used (from /proc/PID/task/*/stat) while
# ledger_load ran, and per event.
#   tools/thread_cpu.sh [LEDGERD] ["LOAD ARGS"]
# e.g. tools/thread_cpu.sh build/services/ledgerd "--mode batch --batch 100"
# A fresh data directory under /var/tmp (on disk); 8 clients for DURATION_S
# seconds (default 10); PROJECTIONS=true runs the server with its
# projections (default false).
set -euo pipefail
BIN=${1:-build/services/ledgerd}
LOAD_ARGS=${2:---mode batch --batch 100}
DURATION_S=${DURATION_S:-10}
PROJECTIONS=${PROJECTIONS:-false}
LOAD=${LOAD:-build/tools/ledger_load}
DIR=/var/tmp/thread_cpu.$$
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$DIR" "$DIR.before" "$DIR.after" "$DIR.log"
}
trap cleanup EXIT
mkdir -p "$DIR"
"$BIN" --data_dir "$DIR" --listen 127.0.0.1:50083 --undefok=insecure_no_auth --insecure_no_auth \
  --projections="$PROJECTIONS" >"$DIR.log" 2>&1 &
pid=$!
sleep 2

# Clock ticks used so far by each thread name, summed over its threads.
snapshot() {
  for t in /proc/"$pid"/task/*; do
    echo "$(cat "$t/comm")|$(awk '{print $14 + $15}' "$t/stat")"
  done | awk -F'|' '{ticks[$1] += $2} END {for (k in ticks) print k "|" ticks[k]}' |
    sort
}
snapshot >"$DIR.before"
# shellcheck disable=SC2086
out=$("$LOAD" --target 127.0.0.1:50083 $LOAD_ARGS --clients 8 \
  --duration_s "$DURATION_S" --warmup_s 0 --json | tail -1)
snapshot >"$DIR.after"
echo "$out"
events=$(echo "$out" | grep -o '"events":[0-9]*' | cut -d: -f2)
join -t'|' -a2 -e0 -o 0,1.2,2.2 "$DIR.before" "$DIR.after" |
  awk -F'|' -v hz="$(getconf CLK_TCK)" -v e="$events" '
    { s = ($3 - $2) / hz; if (s > 0) { printf "%-16s %6.2f s %6.2f us/event\n", $1, s, s * 1e6 / e }; total += s }
    END { printf "%-16s %6.2f s %6.2f us/event\n", "all", total, total * 1e6 / e }'
