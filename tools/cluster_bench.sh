#!/usr/bin/env bash
# The replicated log's cost (issue 29, docs/design/replication.md): the
# same load against ledgerd on its embedded log and on a three-node NATS
# JetStream cluster on this machine (--log nats), alternated, each run on a
# fresh data dir and a fresh cluster; then how fast a new node's copy
# catches up with the stream the last run wrote: by replaying it, and from
# a backup of the writer's copy (then replaying only what came after).
#   tools/cluster_bench.sh [ROUNDS]      (default 2)
# LOAD_ARGS replaces the load (default: batches of 100 from 8 clients),
# DURATION_S its length (default 8), FOLLOWER_ARGS adds to the new node's
# flags (e.g. --projections=false). A benchmark, not a test: it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/nats_node.sh
ROUNDS=${1:-2}
LOAD_ARGS=${LOAD_ARGS:---mode batch --batch 100 --clients 8}
DURATION_S=${DURATION_S:-8}
FOLLOWER_ARGS=${FOLLOWER_ARGS:-}  # more flags for the new node
LEDGERD=${LEDGERD:-build/services/ledgerd}
LOAD=${LOAD:-build/tools/ledger_load}
CTL=${LEDGERCTL:-build/tools/ledgerctl}
DIR=/var/tmp/cluster_bench.$$
PORT=50095
NATS_PORTS=(14301 14302 14303)
ROUTE_PORTS=(14311 14312 14313)
nats_pids=()
ledgerd_pid=

stop_all() {
  [ -n "$ledgerd_pid" ] && kill "$ledgerd_pid" 2>/dev/null && wait "$ledgerd_pid" 2>/dev/null
  ledgerd_pid=
  for p in "${nats_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${nats_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  nats_pids=()
}
trap 'stop_all; rm -rf "$DIR"' EXIT

urls=$(printf 'nats://127.0.0.1:%s,' "${NATS_PORTS[@]}")
urls=${urls%,}

start_nats() {
  for i in 0 1 2; do
    start_nats_node "$DIR/nats" "n$i" "${NATS_PORTS[$i]}" "${ROUTE_PORTS[$i]}" \
      "${ROUTE_PORTS[@]}"
    nats_pids+=("$NATS_PID")
  done
}

# start_ledgerd DATA_DIR LOG_FILE [flags...]: waits until it serves.
start_ledgerd() {
  local data=$1 log=$2
  shift 2
  rm -f "$DIR/port"
  "$LEDGERD" --data_dir "$data" --listen 127.0.0.1:$PORT --port_file "$DIR/port" \
    --insecure_no_auth "$@" >"$log" 2>&1 &
  ledgerd_pid=$!
  for _ in $(seq 1 1200); do
    [ -s "$DIR/port" ] && return 0
    kill -0 "$ledgerd_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "cluster_bench: ledgerd did not start" >&2
  exit 1
}

for r in $(seq 1 "$ROUNDS"); do
  for log in embedded nats; do
    rm -rf "$DIR"
    mkdir -p "$DIR"
    flags=()
    if [ "$log" = nats ]; then
      start_nats
      flags=(--log nats --nats_url "$urls" --node_id bench-writer --nats_connect_s 60)
    fi
    start_ledgerd "$DIR/data" "$DIR/ledgerd.log" "${flags[@]}" --backup_dir "$DIR/backups"
    if [ "$log" = nats ]; then
      # It takes commands once it holds the writer's lease.
      for _ in $(seq 1 600); do
        grep -q "writes the log" "$DIR/ledgerd.log" && break
        sleep 0.1
      done
    fi
    # shellcheck disable=SC2086
    out=$("$LOAD" --target 127.0.0.1:$PORT $LOAD_ARGS --duration_s "$DURATION_S" \
      --warmup_s 1 --json | tail -1)
    eps=$(echo "$out" | grep -o '"events_per_s":[0-9.]*' | cut -d: -f2)
    lat=$(echo "$out" | grep -o '"latency_us":{[^}]*}' | tr -d '"{}' |
      sed 's/latency_us://; s/,/ /g; s/:/ /g')
    echo "round $r log=$log ${LOAD_ARGS#--mode } events/s $eps us $lat"
    if [ "$log" = nats ] && [ "$r" = "$ROUNDS" ]; then
      # A backup of the writer's copy, for the second new node below.
      b0=$(date +%s.%N)
      "$CTL" --target 127.0.0.1:$PORT backup b1 >"$DIR/backup.out"
      b1=$(date +%s.%N)
      # A new node: how long its copy takes to reach the stream's end.
      kill "$ledgerd_pid"
      wait "$ledgerd_pid" 2>/dev/null || true
      t0=$(date +%s.%N)
      # shellcheck disable=SC2086
      start_ledgerd "$DIR/follower" "$DIR/follower.log" "${flags[@]}" --node_id bench-follower \
        $FOLLOWER_ARGS
      t1=$(date +%s.%N)
      # It serves once its copy holds the stream as it was at its start.
      p=$(grep -o 'log of record up to sequence [0-9]* (position [0-9]*' "$DIR/follower.log" |
        grep -o '[0-9]*$')
      # When its copy was done (before the app folds it into its state).
      copied=$(date -d "$(grep -m1 'log of record up to sequence' "$DIR/follower.log" |
        cut -d' ' -f1)" +%s.%N)
      fold=$(grep -o 'complaints [0-9.]*m*s' "$DIR/follower.log" | head -1)
      # Its CPU so far by thread (user + system; the follow thread has
      # ended with the copy): what bounds the copy.
      for t in /proc/"$ledgerd_pid"/task/*; do
        read -r -a st <"$t/stat" && echo "$(cat "$t/comm") ${st[13]} ${st[14]}"
      done 2>/dev/null | awk -v p="$p" -v hz="$(getconf CLK_TCK)" '
        { c[$1] += $2 + $3 } END {
        printf "catch-up CPU by thread:"
        for (n in c) if (c[n] / hz >= 0.05) printf " %s %.2f s (%.1f us/event)", n, c[n] / hz, c[n] / hz * 1e6 / p
        printf "\n" }'
      awk -v p="$p" -v t0="$t0" -v t1="$t1" -v tc="$copied" -v fold="$fold" 'BEGIN {
        printf "catch-up: a new node copied %d events %.2f s after its start (%.0f events/s) and served after %.2f s (%.0f events/s; app state: %s)\n",
          p, tc - t0, p / (tc - t0), t1 - t0, p / (t1 - t0), fold }'
      # Another new node, started from the backup (ledgerd --restore_from):
      # it follows only what the stream holds past it.
      kill "$ledgerd_pid"
      wait "$ledgerd_pid" 2>/dev/null || true
      t0=$(date +%s.%N)
      # shellcheck disable=SC2086
      start_ledgerd "$DIR/restored" "$DIR/restored.log" "${flags[@]}" --node_id bench-restored \
        --restore_from "$DIR/backups/b1" $FOLLOWER_ARGS
      t1=$(date +%s.%N)
      p=$(grep -o 'log of record up to sequence [0-9]* (position [0-9]*' "$DIR/restored.log" |
        grep -o '[0-9]*$')
      awk -v p="$p" -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" 'BEGIN {
        printf "catch-up from a backup: the writer backed up (and verified) its copy in %.2f s; a new node started from it served %d events after %.2f s (%.0f events/s; with the backup %.0f events/s)\n",
          b1 - b0, p, t1 - t0, p / (t1 - t0), p / (t1 - t0 + b1 - b0) }'
    fi
    stop_all
  done
done
