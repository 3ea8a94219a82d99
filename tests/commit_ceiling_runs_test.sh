#!/usr/bin/env bash
# commit_ceiling, the durable-call ceiling of tools/pg_compare.sh, must
# keep serving ledger_load unchanged and write what it answers: after a
# counted load (no timing) every call answered is a record read back from
# its database once closed, with answers from its writer and from a reply
# thread. (That each group is synced before its answers is the code's: a
# test cannot cut the power.)
#   commit_ceiling_runs_test.sh COMMIT_CEILING LEDGER_LOAD
set -euo pipefail
dir=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for replies in --noreply_thread --reply_thread; do
  rm -rf "$dir/db" "$dir/port"
  "$1" --data_dir "$dir/db" --port_file "$dir/port" "$replies" >"$dir/out" 2>&1 &
  pid=$!
  for _ in $(seq 300); do [[ -s $dir/port ]] && break; sleep 0.1; done
  # 4 clients x 2 in flight x 25 calls each.
  load=$("$2" --target "127.0.0.1:$(cat "$dir/port")" --mode single \
    --clients 4 --inflight 2 --calls 25 --json)
  echo "$load"
  grep -q '"calls":200,"events":200,"errors":0' <<<"$load"
  kill -TERM $pid
  wait $pid
  pid=
  cat "$dir/out"
  grep -Eq '^\{"tool":"commit_ceiling","calls":200,"records":200,"groups":[1-9]' "$dir/out"
done
