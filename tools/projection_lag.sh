#!/bin/bash
# How far a ledgerd's in-process views fall behind under a load, and how
# long they take to catch up once it stops (the price of
# --projection_niceness, BENCHMARKS.md "ledgerd's CPU per batched event"):
#   tools/projection_lag.sh LEDGERD [LOAD ARGS...]
# e.g. tools/projection_lag.sh build/services/ledgerd --mode batch --batch 100
#      tools/projection_lag.sh build/services/ledgerd --mode single
# A fresh data directory under /var/tmp; 8 clients for DURATION_S seconds
# (default 8); EXTRA_ARGS are added to ledgerd's flags (e.g.
# "--projection_niceness 0"). Prints events/s, the largest view's lag
# (ledger_projection_lag_events from /metrics) when the load ends, and the
# seconds until every view has caught up.
set -euo pipefail
BIN=${1:?usage: tools/projection_lag.sh LEDGERD [LOAD ARGS...]}
shift
LOAD=${LOAD:-build/tools/ledger_load}
DURATION_S=${DURATION_S:-8}
DIR=/var/tmp/projection_lag.$$
PORT=50096
HTTP_PORT=8496
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT
mkdir -p "$DIR"
# shellcheck disable=SC2086
"$BIN" --data_dir "$DIR/data" --listen 127.0.0.1:$PORT \
  --http_listen 127.0.0.1:$HTTP_PORT --insecure_no_auth ${EXTRA_ARGS:-} \
  >"$DIR/log" 2>&1 &
pid=$!
for _ in $(seq 1 500); do
  curl -sf "127.0.0.1:$HTTP_PORT/metrics" >/dev/null && break
  sleep 0.02
done
out=$("$LOAD" --target 127.0.0.1:$PORT "$@" --clients 8 \
  --duration_s "$DURATION_S" --warmup_s 0 --json | tail -1)
start=$(date +%s.%N)
lag() {
  curl -s "127.0.0.1:$HTTP_PORT/metrics" |
    awk '/^ledger_projection_lag_events/ {if ($2 > m) m = $2} END {print m + 0}'
}
first=$(lag)
while [ "$(lag)" != "0" ]; do sleep 0.05; done
end=$(date +%s.%N)
echo "$(echo "$out" | grep -o '"events_per_s":[0-9]*'), views behind at the end: $first events, caught up in $(echo "$end - $start" | bc) s"
