#!/bin/bash
# Before/after of two ledgerd builds run at the same time, each under its own
# copy of one load, so that this machine's slow minutes (events/s down
# 20–30% with no steal, BENCHMARKS.md) fall on both alike:
#   tools/ab_together.sh OLD_LEDGERD NEW_LEDGERD [ROUNDS]
# ab_ledgerd.sh alternates the builds instead, and its rounds swing more
# than most changes move them. Here the two servers and their loads share
# the CPUs, so each gets about half of the machine: compare their CPU time
# per event (µs, user + system, from /proc) and its ratio, new / old, which
# a slow minute moves little; events/s are printed too. Each round: fresh
# data directories under /var/tmp (on disk), both servers started, then
# ledger_load with LOAD_ARGS against each for DURATION_S seconds (plus a
# 1 s warm-up), both at once.
#   LOAD_ARGS    default "--mode batch --batch 100 --clients 8"
#   PROJECTIONS  true or false (default false)
#   DURATION_S   default 8
#   OLD_ARGS, NEW_ARGS            each ledgerd's security flags (default
#                                 --insecure_no_auth)
#   OLD_LOAD_ARGS, NEW_LOAD_ARGS  added to each load's (tools/auth_cost.sh)
set -euo pipefail
OLD=${1:?usage: tools/ab_together.sh OLD_LEDGERD NEW_LEDGERD [ROUNDS]}
NEW=${2:?usage: tools/ab_together.sh OLD_LEDGERD NEW_LEDGERD [ROUNDS]}
ROUNDS=${3:-5}
LOAD_ARGS=${LOAD_ARGS:---mode batch --batch 100 --clients 8}
PROJECTIONS=${PROJECTIONS:-false}
DURATION_S=${DURATION_S:-8}
OLD_ARGS=${OLD_ARGS:---undefok=insecure_no_auth --insecure_no_auth}
NEW_ARGS=${NEW_ARGS:---undefok=insecure_no_auth --insecure_no_auth}
OLD_LOAD_ARGS=${OLD_LOAD_ARGS:-}
NEW_LOAD_ARGS=${NEW_LOAD_ARGS:-}
LOAD=${LOAD:-build/tools/ledger_load}
DIR=/var/tmp/ab_together.$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT

# A process's CPU time so far (user + system), in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

sum_old=0
sum_new=0
for r in $(seq 1 "$ROUNDS"); do
  rm -rf "$DIR"
  mkdir -p "$DIR/old" "$DIR/new"
  # shellcheck disable=SC2086
  "$OLD" --data_dir "$DIR/old" --listen 127.0.0.1:50081 $OLD_ARGS \
    --projections="$PROJECTIONS" >"$DIR/old.log" 2>&1 &
  old_pid=$!
  # shellcheck disable=SC2086
  "$NEW" --data_dir "$DIR/new" --listen 127.0.0.1:50082 $NEW_ARGS \
    --projections="$PROJECTIONS" >"$DIR/new.log" 2>&1 &
  new_pid=$!
  pids=("$old_pid" "$new_pid")
  sleep 2
  t_old=$(ticks "$old_pid")
  t_new=$(ticks "$new_pid")
  # shellcheck disable=SC2086
  "$LOAD" --target 127.0.0.1:50081 $LOAD_ARGS $OLD_LOAD_ARGS --duration_s "$DURATION_S" \
    --warmup_s 1 --json 2>&1 | tail -1 >"$DIR/old.json" &
  load_old=$!
  # shellcheck disable=SC2086
  "$LOAD" --target 127.0.0.1:50082 $LOAD_ARGS $NEW_LOAD_ARGS --duration_s "$DURATION_S" \
    --warmup_s 1 --json 2>&1 | tail -1 >"$DIR/new.json" &
  load_new=$!
  wait "$load_old" "$load_new"
  t_old=$(($(ticks "$old_pid") - t_old))
  t_new=$(($(ticks "$new_pid") - t_new))
  kill "$old_pid" "$new_pid"
  wait "$old_pid" "$new_pid" 2>/dev/null || true
  pids=()
  eps() { grep -o '"events_per_s":[0-9.]*' "$1" | cut -d: -f2; }
  e_old=$(eps "$DIR/old.json")
  e_new=$(eps "$DIR/new.json")
  # CPU µs per event; the warm-up second's events are not in events_per_s
  # but its ticks are, on both sides alike.
  line=$(awk -v to="$t_old" -v tn="$t_new" -v eo="$e_old" -v en="$e_new" \
    -v hz="$hz" -v s="$((DURATION_S + 1))" 'BEGIN {
      co = to / hz * 1e6 / (eo * s); cn = tn / hz * 1e6 / (en * s);
      printf "%.0f %.0f %.2f %.2f %.3f", eo, en, co, cn, cn / co }')
  read -r eo en co cn ratio <<<"$line"
  echo "round $r events/s old $eo new $en" \
    "server_cpu_us/event old $co new $cn new/old $ratio"
  sum_old=$(awk -v a="$sum_old" -v b="$co" 'BEGIN { print a + b }')
  sum_new=$(awk -v a="$sum_new" -v b="$cn" 'BEGIN { print a + b }')
done
awk -v o="$sum_old" -v n="$sum_new" -v r="$ROUNDS" 'BEGIN {
  printf "mean server_cpu_us/event old %.2f new %.2f new/old %.3f\n",
    o / r, n / r, n / o }'
