#!/usr/bin/env bash
# The demo's seed puts its history in the months the README suggests
# looking at: the whole months before "now", also early in a month (when
# the last cases' revisits would fall after now, those are left undone),
# so that last month's station table is not empty.
#   ledger_seed_test.sh LEDGER_SEED LEDGERD LEDGERCTL
set -euo pipefail
seed=$1 ledgerd=$2 ledgerctl=$3
dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/ledger-seed-test.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

# Early in December (Shanghai): September to November.
out=$("$seed" --data_dir "$dir/early" --history_months 3 --history_cases 150 \
  --history_until 2026-12-04T10:00:00+08:00)
echo "$out"
grep -q "150 simulated cases in 2026-09 to 2026-11 (" <<<"$out"
# Late on the last day of November in Shanghai (still the 30th in UTC
# too): August to October.
late=$("$seed" --data_dir "$dir/late" --history_months 3 --history_cases 150 \
  --history_until 2026-11-30T23:00:00+08:00)
grep -q "150 simulated cases in 2026-08 to 2026-10 (" <<<"$late"
# The first hour of December in Shanghai is still November in UTC: the
# site's month counts.
edge=$("$seed" --data_dir "$dir/edge" --history_months 3 --history_cases 150 \
  --history_until 2026-12-01T00:30:00+08:00)
grep -q "150 simulated cases in 2026-09 to 2026-11 (" <<<"$edge"

# Past the shipped calendar (2025-2026): the law's days off for 2027,
# provisional, said so.
next=$("$seed" --data_dir "$dir/next" --history_months 3 --history_cases 150 \
  --history_until 2027-03-02T10:00:00+08:00)
grep -q "150 simulated cases in 2026-12 to 2027-02 (" <<<"$next"
grep -q "calendar cn-2025-2026.1+statutory-" <<<"$next"
"$ledgerctl" verify --data_dir "$dir/next" | grep -q "chain OK"

"$ledgerctl" verify --data_dir "$dir/early" | grep -q "chain OK"
# What the README suggests: last month's station table, with complaints.
"$ledgerd" --insecure_no_auth --data_dir "$dir/early" --listen 127.0.0.1:0 \
  --port_file "$dir/port" 2> "$dir/ledgerd.log" &
pid=$!
for _ in $(seq 600); do [ -s "$dir/port" ] && break; sleep 0.1; done
target=127.0.0.1:$(cat "$dir/port")
# The views may still be folding the seed's last events (queries answer
# from what they hold, at the position they name): wait until none lags.
caught_up=
for _ in $(seq 600); do
  if "$ledgerctl" --target "$target" projections |
      awk 'NR > 1 && NF >= 4 && $3 ~ /^[0-9]+$/ { rows++; if ($3 != 0) lag = 1 }
           END { exit !(rows > 0 && !lag) }'; then
    caught_up=1
    break
  fi
  sleep 0.1
done
[ -n "$caught_up" ] || { echo "the views never caught up"; "$ledgerctl" --target "$target" projections; exit 1; }
november=$("$ledgerctl" --target "$target" stations --month 2026-11 --format csv)
echo "$november"
total=$(awk -F, 'NR > 1 { n += $3 } END { print n + 0 }' <<<"$november")
[ "$total" -gt 0 ]
august=$("$ledgerctl" --target "$target" stations --month 2026-08 --format csv)
[ "$(awk -F, 'NR > 1 { n += $3 } END { print n + 0 }' <<<"$august")" -eq 0 ]
echo "PASS: November holds $total complaints, August none"
