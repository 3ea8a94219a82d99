#!/usr/bin/env bash
# Writes with and without subscribers that never read (issue 22, finding
# 6: 64 of them attached at once dropped writes from ~13k to ~0.7k events/s
# for 10-12 s). Starts ledgerd on a fresh data directory under /var/tmp,
# writes a log to catch up on (ledger_load batch mode, PRELOAD_S seconds),
# then measures single-command writes (8 clients, MEASURE_S seconds) alone,
# and again right after SUBSCRIBERS Subscribe streams from position 1 are
# opened at once, each on its own connection and never read. Prints both
# rates and their ratio; the promise is a ratio of at least 0.8.
#   tools/stalled_subscribers.sh [LEDGERD]      (default build/services/ledgerd)
set -euo pipefail
cd "$(dirname "$0")/.."
LEDGERD=${1:-build/services/ledgerd}
LOAD=${LOAD:-build/tools/ledger_load}
SUBSCRIBERS=${SUBSCRIBERS:-64}
PRELOAD_S=${PRELOAD_S:-5}
MEASURE_S=${MEASURE_S:-10}
PORT=${PORT:-50093}
DIR=/var/tmp/stalled_subscribers.$$
mkdir -p "$DIR"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
"$LEDGERD" --data_dir "$DIR/data" --listen 127.0.0.1:$PORT --insecure_no_auth >"$DIR/ledgerd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  "$LOAD" --target 127.0.0.1:$PORT --mode head --duration_s 0.1 --warmup_s 0 \
    >/dev/null 2>&1 && break
  sleep 0.1
done
rate() {
  "$LOAD" --target 127.0.0.1:$PORT --mode single --clients 8 \
    --duration_s "$MEASURE_S" --warmup_s 0 --json | tail -1 |
    grep -o '"events_per_s":[0-9.]*' | cut -d: -f2
}
"$LOAD" --target 127.0.0.1:$PORT --mode batch --batch 100 --clients 4 \
  --duration_s "$PRELOAD_S" --warmup_s 0 >/dev/null
# The log's length: the checkpoint of the log's own index.
events=$(build/tools/ledgerctl --target 127.0.0.1:$PORT projections |
  awk '/stream-index/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { print $i; exit } }')
alone=$(rate)
# Never-reading subscribers: each call is started and its responses are
# never asked for, so gRPC's flow control fills and stays full.
/usr/bin/python3 - "$PORT" "$SUBSCRIBERS" "$((MEASURE_S + 30))" <<'PY' &
import sys, time, grpc
port, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
calls = []
for _ in range(n):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    subscribe = channel.unary_stream("/ledger.v1.Subscriptions/Subscribe",
                                     request_serializer=lambda b: b,
                                     response_deserializer=lambda b: b)
    calls.append((channel, subscribe(b"")))  # From position 1.
time.sleep(hold)
PY
pids+=($!)
with=$(rate)
awk -v a="$alone" -v w="$with" -v n="$SUBSCRIBERS" -v e="${events:-?}" 'BEGIN {
  printf "log of %s events; writes alone %.0f events/s, with %d never-reading subscribers %.0f events/s: ratio %.2f\n", e, a, n, w, w / a }'
