#!/bin/bash
# The auditor's export at scale (BENCHMARKS.md, "Verifiable audit"): a log
# of EVENTS events recorded this month (default 1,000,000: about 100,000
# complaints at ~10 events each; PAYLOAD_BYTES 300), signed; ledgerd serves
# it; then `ledgerctl audit export` of the month is timed, and both
# verifiers of the export (ledgerctl audit verify-export, and the Python
# tools/audit/tlog_verify.py). The filled store in DIR is reused.
#   tools/audit_export_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-1000000}
PAYLOAD_BYTES=${PAYLOAD_BYTES:-300}
DIR=${DIR:-/var/tmp/ledger-export-bench}
mkdir -p "$DIR"
build/tools/audit_bench --data_dir "$DIR/data" --signing_key "$DIR/data.key" \
  --events "$EVENTS" --events_per_append 10 --payload_bytes "$PAYLOAD_BYTES" \
  --proofs 0
rm -f "$DIR/port"
build/services/ledgerd --insecure_no_auth --listen 127.0.0.1:0 \
  --port_file "$DIR/port" --data_dir "$DIR/data" \
  --signing_key "$DIR/data.key" --projections=false 2> "$DIR/ledgerd.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
while [ ! -s "$DIR/port" ]; do sleep 0.1; done
target=127.0.0.1:$(cat "$DIR/port")
month=$(TZ=Asia/Shanghai date +%Y-%m)
build/tools/ledgerctl --target "$target" audit checkpoint --out "$DIR/checkpoint.note" > /dev/null 2>&1
key=$(build/tools/ledgerctl --target "$target" audit checkpoint --out /dev/null 2>/dev/null |
  sed -n 's/^verified: .*signed by key //p')
rm -rf "$DIR/export"
now() { date +%s.%N; }
t0=$(now)
build/tools/ledgerctl --target "$target" --log_key "$key" \
  audit export "$DIR/export" --month "$month" > "$DIR/export.out" 2> "$DIR/export.err"
t1=$(now)
build/tools/ledgerctl --log_key "$key" audit verify-export "$DIR/export" > "$DIR/verify.out"
t2=$(now)
/usr/bin/python3 tools/audit/tlog_verify.py export "$DIR/export" --key "$key" > "$DIR/python.out"
t3=$(now)
cat "$DIR/export.out" "$DIR/verify.out" "$DIR/python.out"
t_export=$(awk "BEGIN{print $t1 - $t0}"); t_verify=$(awk "BEGIN{print $t2 - $t1}")
t_python=$(awk "BEGIN{print $t3 - $t2}")
events=$(wc -l < "$DIR/export/events.jsonl")
bytes=$(du -sb "$DIR/export" | cut -f1)
printf 'export of %s: %d events (%d MB) in %.1f s (%.0f events/s); ' \
  "$month" "$events" $((bytes >> 20)) "$t_export" "$(awk "BEGIN{print $events / $t_export}")"
printf 'verify-export %.1f s, Python verifier %.1f s\n' "$t_verify" "$t_python"
