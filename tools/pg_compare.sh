#!/usr/bin/env bash
# Durable appends, PostgreSQL against ledgerd, on this machine in one run.
#
# Starts a throwaway PostgreSQL from Debian's `postgresql` package (its own
# data directory on disk, a unix socket only, fsync and
# synchronous_commit=on), creates an event table, and runs pgbench with
# CLIENTS clients, each transaction appending one event as a new stream at
# revision 0 (the unique (stream_id, revision) key is the optimistic
# concurrency check). Then starts ledgerd on a data directory on the same
# disk and runs ledger_load with the same number of clients: single-event
# ReceiveComplaint commands (a new complaint stream each), with the ledger's
# own projections and without them (--projections=false: the read side in
# processes of its own), then ExecuteBatch with 100 commands per call.
# Then both at the same number of requests in flight: pgbench with
# CLIENTS x INFLIGHT connections (a PostgreSQL connection runs one
# transaction at a time) against ledger_load with CLIENTS connections of
# INFLIGHT calls each (a gRPC connection carries many). Last, the ceiling
# at both concurrencies: empty calls (GetLogHead) against the same ledgerd;
# and for the runs without projections, the writer's group commits (events
# in each, its write and fsync) from /metrics. And the durable ceiling at
# both: tools/commit_ceiling, gRPC's callback API and one synced RocksDB
# write a group with nothing else (no decision, chain, index or
# projections), its answers from the writer's thread and from a reply
# thread; the better of the two bounds what ledgerd's commands can reach
# on this disk and these CPUs.
# Prints JSON lines, then the figures and their ratios.
#   CLIENTS (default 8), INFLIGHT (default 4), DURATION_S (default 20),
#   BUILD_DIR (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${CLIENTS:-8}
inflight=${INFLIGHT:-4}
duration=${DURATION_S:-20}
build=${BUILD_DIR:-build}

if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null |
    grep -q "install ok installed"; then
  echo "pg_compare: installing postgresql" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends postgresql
fi
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[[ -x $build/tools/ledger_load && -x $build/tools/commit_ceiling ]] || tools/build.sh "$build" >/dev/null

# On the disk (not a tmpfs): both sides pay for real fsyncs.
work=$(mktemp -d /var/tmp/pg-compare.XXXXXX)
chmod 755 "$work"
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  # PostgreSQL refuses to run as root.
  chown postgres: "$work"
  as_pg=(runuser -u postgres --)
fi
ledgerd_pid=
cleanup() {
  [[ -n $ledgerd_pid ]] && kill "$ledgerd_pid" 2>/dev/null && wait "$ledgerd_pid" || true
  [[ -s $work/ceiling.pid ]] && kill "$(cat "$work/ceiling.pid")" 2>/dev/null || true
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -A trust -U bench >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
  -o "-k $work -c listen_addresses='' -c fsync=on -c synchronous_commit=on -c max_connections=128" \
  start >/dev/null
psql=("${as_pg[@]}" "$pg_bin/psql" -q -h "$work" -U bench -d postgres -v ON_ERROR_STOP=1)
"${psql[@]}" -c "CREATE TABLE events (
  position bigserial PRIMARY KEY,
  stream_id text NOT NULL,
  revision bigint NOT NULL,
  type text NOT NULL,
  data bytea NOT NULL,
  UNIQUE (stream_id, revision))"
# One event of about the size of a ComplaintReceived (~250 bytes) per
# transaction, to a new stream.
cat >"$work/append.sql" <<'EOF'
\set n random(1, 9000000000000000)
INSERT INTO events (stream_id, revision, type, data)
  VALUES ('complaint-' || :client_id || '-' || :n, 0,
          'ledger.v1.ComplaintReceived', convert_to(repeat('x', 250), 'UTF8'));
EOF
chown postgres: "$work/append.sql" 2>/dev/null || true
pgbench() {
  local out tps lat rows
  out=$("${as_pg[@]}" "$pg_bin/pgbench" -n -h "$work" -U bench -c "$1" \
    -j "$1" -T "$duration" -f "$work/append.sql" postgres 2>&1)
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out" | head -1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
  rows=$("${psql[@]}" -At -c "SELECT count(*) FROM events")
  echo "{\"tool\":\"pgbench\",\"clients\":$1,\"seconds\":$duration,\"rows\":$rows,\"events_per_s\":${tps%.*},\"latency_avg_ms\":$lat}"
}
pg=$(pgbench "$clients")
echo "$pg"
pg_many=$(pgbench $((clients * inflight)))
echo "$pg_many"

# ledgerd, once with its projections and once without.
run_ledgerd() {
  local dir=$work/ledger-$1
  shift
  "$build/services/ledgerd" --listen 127.0.0.1:0 --port_file "$work/port" --insecure_no_auth \
    --http_listen 127.0.0.1:0 --http_port_file "$work/http_port" \
    --data_dir "$dir" "$@" >"$work/ledgerd.log" 2>&1 &
  ledgerd_pid=$!
  for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.1; done
  target=127.0.0.1:$(cat "$work/port")
}
stop_ledgerd() {
  kill "$ledgerd_pid"
  wait "$ledgerd_pid" || true
  ledgerd_pid=
  rm -f "$work/port" "$work/http_port"
}
load() {
  "$build/tools/ledger_load" --target "$target" --clients "$clients" \
    --duration_s "$duration" --json "$@"
}
# The writer's group commits so far (/metrics; ledgerd writes its HTTP
# port before its gRPC one): groups, events, seconds written (fsync
# included); "0 0 0" when /metrics cannot be read.
commits() {
  { curl -sf --max-time 5 "127.0.0.1:$(cat "$work/http_port")/metrics" || true; } | awk '
    /^ledger_group_commits_total / { g = $2 }
    /^ledger_events_appended_total / { e = $2 }
    /^ledger_group_commit_write_seconds_sum / { s = $2 }
    END { printf "%d %d %.6f\n", g, e, s }'
}
# What a load's commits were like, from two commits snapshots.
commit_cycle() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    g = y[1] - x[1]; if (g <= 0) { print "no group commits (or no /metrics)"; exit }
    printf "%.1f events a group commit, its write and fsync %.0f us mean",
      (y[2] - x[2]) / g, (y[3] - x[3]) * 1e6 / g }'
}
eps() { sed -n 's/.*"events_per_s":\([0-9]*\).*/\1/p' <<<"$1"; }
cps() { sed -n 's/.*"calls_per_s":\([0-9]*\).*/\1/p' <<<"$1"; }

run_ledgerd with-views
single=$(load --mode single)
echo "$single"
many=$(load --mode single --inflight "$inflight")
echo "$many"
batch=$(load --mode batch --batch 100)
echo "$batch"
stop_ledgerd
run_ledgerd ledger-only --projections=false
c0=$(commits)
single_bare=$(load --mode single)
echo "$single_bare"
c1=$(commits)
many_bare=$(load --mode single --inflight "$inflight")
echo "$many_bare"
c2=$(commits)
batch_bare=$(load --mode batch --batch 100)
echo "$batch_bare"
# The ceiling at the same concurrency: GetLogHead, the lightest call (no
# decision, no write, no fsync): what gRPC and this machine's two cores
# allow a call before any of the ledger's work.
head_one=$(load --mode head)
echo "$head_one"
head_many=$(load --mode head --inflight "$inflight")
echo "$head_many"
stop_ledgerd

# The durable ceiling: the same load against commit_ceiling. Runs in a
# command substitution (where set -e does not reach), so it checks each
# step and fails the script itself; its pid is in a file for cleanup.
ceiling() {
  local dir=$work/ceiling out status=0
  "$build/tools/commit_ceiling" --data_dir "$dir" --port_file "$work/port" "$@" \
    >"$work/ceiling.log" 2>&1 &
  echo $! >"$work/ceiling.pid"
  for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.1; done
  target=127.0.0.1:$(cat "$work/port" 2>/dev/null)
  out=$(load --mode single --inflight "$ceiling_inflight") || status=$?
  kill "$(cat "$work/ceiling.pid")" 2>/dev/null || true
  wait "$(cat "$work/ceiling.pid")" || status=$?
  rm -f "$work/port" "$work/ceiling.pid"
  # Every call it answered is a record in its database, read back.
  if ((status != 0)) || ! grep -Eq '"calls":([0-9]+),"records":\1,' "$work/ceiling.log"; then
    echo "pg_compare: the durable ceiling failed (commit_ceiling $*):" >&2
    cat "$work/ceiling.log" >&2
    return 1
  fi
  echo "$out" | sed 's/"tool":"ledger_load"/"tool":"ledger_load","server":"commit_ceiling'"${1:+ $1}"'"/'
  rm -rf "$dir"
}
ceiling_inflight=1
ceil_writer=$(ceiling) || exit 1
echo "$ceil_writer"
ceil_thread=$(ceiling --reply_thread) || exit 1
echo "$ceil_thread"
ceiling_inflight=$inflight
ceil_writer_many=$(ceiling) || exit 1
echo "$ceil_writer_many"
ceil_thread_many=$(ceiling --reply_thread) || exit 1
echo "$ceil_thread_many"
max() { if (($1 > $2)); then echo "$1"; else echo "$2"; fi; }
ceil_one=$(max "$(eps "$ceil_writer")" "$(eps "$ceil_thread")")
ceil_many=$(max "$(eps "$ceil_writer_many")" "$(eps "$ceil_thread_many")")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
pg_eps=$(eps "$pg")
pg_many_eps=$(eps "$pg_many")
many_n=$((clients * inflight))
cat <<EOF
# durable appends, $duration s each; one call or transaction at a time per client:
#   PostgreSQL (pgbench, one event per transaction), $clients clients: $pg_eps events/s
#   ledgerd single-event commands, $clients clients, with its projections:  $(eps "$single") events/s ($(ratio "$(eps "$single")" "$pg_eps")x PostgreSQL)
#   ledgerd single-event commands, $clients clients, projections elsewhere: $(eps "$single_bare") events/s ($(ratio "$(eps "$single_bare")" "$pg_eps")x PostgreSQL)
# the same with $many_n requests in flight:
#   PostgreSQL, $many_n clients: $pg_many_eps events/s
#   ledgerd, $clients clients x $inflight in flight, with its projections:  $(eps "$many") events/s ($(ratio "$(eps "$many")" "$pg_many_eps")x PostgreSQL)
#   ledgerd, $clients clients x $inflight in flight, projections elsewhere: $(eps "$many_bare") events/s ($(ratio "$(eps "$many_bare")" "$pg_many_eps")x PostgreSQL)
# the commit cycle, projections elsewhere (from /metrics):
#   $clients clients: $(commit_cycle "$c0" "$c1")
#   $clients clients x $inflight in flight: $(commit_cycle "$c1" "$c2")
# the ceiling: empty calls (GetLogHead), no work, no fsync:
#   $clients clients: $(cps "$head_one") calls/s ($(ratio "$(cps "$head_one")" "$pg_eps")x PostgreSQL's $clients clients)
#   $clients clients x $inflight in flight: $(cps "$head_many") calls/s ($(ratio "$(cps "$head_many")" "$pg_many_eps")x PostgreSQL's $many_n clients)
# the durable ceiling: commit_ceiling, gRPC and one synced RocksDB write a group, nothing else
#   (answers from its writer / from a reply thread; the better against PostgreSQL and ledgerd):
#   $clients clients: $(eps "$ceil_writer") / $(eps "$ceil_thread") events/s ($(ratio "$ceil_one" "$pg_eps")x PostgreSQL; ledgerd with its projections at $(ratio "$(eps "$single")" "$ceil_one") of it)
#   $clients clients x $inflight in flight: $(eps "$ceil_writer_many") / $(eps "$ceil_thread_many") events/s ($(ratio "$ceil_many" "$pg_many_eps")x PostgreSQL; ledgerd with its projections at $(ratio "$(eps "$many")" "$ceil_many") of it)
# batched, $clients clients:
#   ledgerd ExecuteBatch of 100, with its projections:  $(eps "$batch") events/s
#   ledgerd ExecuteBatch of 100, projections elsewhere: $(eps "$batch_bare") events/s
EOF
