#!/bin/bash
# Before/after of two ledgerd builds under the same load, alternating them so
# that the disk's and the hypervisor's moods fall on both alike:
#   tools/ab_ledgerd.sh OLD_LEDGERD NEW_LEDGERD [ROUNDS]
# e.g. OLD built from a clone of the commit before a change. Each round, for
# each build, with and without its projections: a fresh data directory under
# /var/tmp (on disk), ledger_load batch-of-100 and single for 8 s each, 8
# clients; prints events/s, calls/s, call latency (p50 p99 p999, µs), the
# server's and the load generator's CPU time per event (µs; less noisy than
# events/s when the machine is the bound) and the CPU steal during each run. MODES, a `|`-separated list of ledger_load
# arguments, replaces the two loads, e.g.
#   MODES="--mode single|--mode single --inflight 4" tools/ab_ledgerd.sh A B
# PROJECTIONS="false" runs only without projections (default "true false").
# OLD_ARGS and NEW_ARGS replace each ledgerd's security flags (default
# --insecure_no_auth), OLD_LOAD_ARGS and NEW_LOAD_ARGS add to its load's:
# tools/auth_cost.sh compares one build with and without TLS and tokens so.
set -euo pipefail
TIMEFORMAT='%U %S'  # what `time` prints: user and system seconds
exec 3>&2           # the load's own errors still reach the terminal
OLD=${1:?usage: tools/ab_ledgerd.sh OLD_LEDGERD NEW_LEDGERD [ROUNDS]}
NEW=${2:?usage: tools/ab_ledgerd.sh OLD_LEDGERD NEW_LEDGERD [ROUNDS]}
ROUNDS=${3:-3}
MODES=${MODES:---mode batch --batch 100|--mode single}
PROJECTIONS=${PROJECTIONS:-true false}
OLD_ARGS=${OLD_ARGS:---undefok=insecure_no_auth --insecure_no_auth}
NEW_ARGS=${NEW_ARGS:---undefok=insecure_no_auth --insecure_no_auth}
OLD_LOAD_ARGS=${OLD_LOAD_ARGS:-}
NEW_LOAD_ARGS=${NEW_LOAD_ARGS:-}
LOAD=${LOAD:-build/tools/ledger_load}
DIR=/var/tmp/ab_ledgerd.$$
PORT=50090
trap 'rm -rf "$DIR"' EXIT

steal() { awk '/^cpu /{print $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
# The server's CPU time so far (user + system), in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for r in $(seq 1 "$ROUNDS"); do
  for v in old new; do
    bin=$OLD args=$OLD_ARGS load_args=$OLD_LOAD_ARGS
    [ "$v" = new ] && bin=$NEW args=$NEW_ARGS load_args=$NEW_LOAD_ARGS
    for proj in $PROJECTIONS; do
      rm -rf "$DIR"
      mkdir -p "$DIR"
      # shellcheck disable=SC2086
      "$bin" --data_dir "$DIR" --listen 127.0.0.1:$PORT $args \
        --projections=$proj >"$DIR.log" 2>&1 &
      pid=$!
      sleep 2
      IFS='|' read -ra loads <<<"$MODES"
      for m in "${loads[@]}"; do
        a=($(steal))
        t0=$(ticks "$pid")
        # shellcheck disable=SC2086
        out=$( { time "$LOAD" --target 127.0.0.1:$PORT $m $load_args --clients 8 \
          --duration_s 8 --warmup_s 1 --json 2>&3; } 2>"$DIR.time" | tail -1)
        b=($(steal))
        t1=$(ticks "$pid")
        eps=$(echo "$out" | grep -o '"events_per_s":[0-9.]*' | cut -d: -f2)
        cps=$(echo "$out" | grep -o '"calls_per_s":[0-9.]*' | cut -d: -f2)
        lat=$(echo "$out" | grep -o '"latency_us":{[^}]*}' | tr -d '"{}' |
          sed 's/latency_us://; s/,/ /g; s/:/ /g')
        # Server CPU per event (µs), warm-up second included in the ticks.
        cpu=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v e="$eps" \
          -v s=9 'BEGIN { if (e > 0) printf "%.1f", t / hz * 1e6 / (e * s) }')
        # The load generator's user + system seconds (bash's `time`).
        client=$(awk -v e="$eps" -v s=9 'END { if (e > 0) printf "%.1f", \
          ($1 + $2) * 1e6 / (e * s) }' "$DIR.time")
        echo "round $r $v projections=$proj ${m#--mode } events/s $eps calls/s $cps" \
          "us $lat server_cpu_us/event $cpu client_cpu_us/event $client" \
          "steal $(((b[0] - a[0]) * 100 / (b[1] - a[1])))%"
      done
      kill "$pid"
      wait "$pid" 2>/dev/null || true
      rm -f "$DIR.log" "$DIR.time"
    done
  done
done
