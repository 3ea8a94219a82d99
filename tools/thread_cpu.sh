#!/bin/bash
# Where a ledgerd's CPU goes under one load, by thread name: the user +
# system seconds each kind of thread used (from /proc/PID/task/*/stat) while
# ledger_load ran, and per event.
#   tools/thread_cpu.sh [LEDGERD] ["LOAD ARGS"]
# e.g. tools/thread_cpu.sh build/services/ledgerd "--mode batch --batch 100"
# LEDGERD may be build/tools/commit_ceiling (the durable ceiling; its
# flags from CEILING_ARGS) to compare a command's CPU with the least a
# durable call takes.
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
if [[ $(basename "$BIN") == commit_ceiling ]]; then
  # The durable ceiling (tools/pg_compare.sh) by the same count;
  # CEILING_ARGS, e.g. --reply_thread.
  # shellcheck disable=SC2206
  server_args=(--listen 127.0.0.1:50083 ${CEILING_ARGS:-})
else
  server_args=(--listen 127.0.0.1:50083 --undefok=insecure_no_auth --insecure_no_auth
    --projections="$PROJECTIONS")
fi
"$BIN" --data_dir "$DIR" "${server_args[@]}" >"$DIR.log" 2>&1 &
pid=$!
sleep 2

# Clock ticks used so far by each thread name, summed over its threads:
# name|user|system.
snapshot() {
  for t in /proc/"$pid"/task/*; do
    echo "$(cat "$t/comm")|$(awk '{print $14 "|" $15}' "$t/stat")"
  done | awk -F'|' '{u[$1] += $2; s[$1] += $3} END {for (k in u) print k "|" u[k] "|" s[k]}' |
    sort
}
snapshot >"$DIR.before"
# shellcheck disable=SC2086
out=$("$LOAD" --target 127.0.0.1:50083 $LOAD_ARGS --clients 8 \
  --duration_s "$DURATION_S" --warmup_s 0 --json | tail -1)
snapshot >"$DIR.after"
echo "$out"
events=$(echo "$out" | grep -o '"events":[0-9]*' | cut -d: -f2)
printf "%-16s %8s %11s %9s %9s\n" thread "CPU s" "us/event" "user" "system"
join -t'|' -a2 -e0 -o 0,1.2,1.3,2.2,2.3 "$DIR.before" "$DIR.after" |
  awk -F'|' -v hz="$(getconf CLK_TCK)" -v e="$events" '
    function row(name, u, s) {
      printf "%-16s %8.2f %11.2f %9.2f %9.2f\n", name, u + s, (u + s) * 1e6 / e, u * 1e6 / e, s * 1e6 / e
    }
    { u = ($4 - $2) / hz; s = ($5 - $3) / hz; if (u + s > 0) row($1, u, s); tu += u; ts += s }
    END { row("all", tu, ts) }'
