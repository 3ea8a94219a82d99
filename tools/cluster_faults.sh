#!/usr/bin/env bash
# Kills under load, for the replicated log (issue 29; not in the test
# command): three nats-server processes as one JetStream cluster and NODES
# ledgerd nodes (--log nats, default 3) on loopback ports under /var/tmp;
# tools/cluster_faults (build/tools) writes intakes throughout, each retried
# with its command id until acknowledged; meanwhile each round kill -9s a
# process and starts it again. Then every node's log is checked (chain and
# signed checkpoints: ledgerctl verify) and the intakes counted:
# acknowledged / lost / duplicated, and whether the nodes' logs and views
# are equal, after the load has stopped and every process was stopped and
# started again.
#   tools/cluster_faults.sh [KILLS] [random|writer|test]
#     random (default, 100 kills): a NATS server or a ledgerd at random,
#       started again 0.5 to 3 s later
#     writer (default 20 kills): the ledgerd holding the writer's lease;
#       prints the failover time of each (the writer dead to the next new
#       intake acknowledged, by the new writer), its p50 and max
#     test: one NATS server, then the writer (ctest's cluster_failover, with
#       NODES=2 CLIENTS=2 LEASE_MS=1500)
# CLIENTS (4), LEASE_MS (ledgerd's --lease_ms, default 6000), NODES (3),
# KEEP=1 (keep the data and logs);
# LEDGERD, LEDGERCTL, CLUSTER_FAULTS: the binaries (default build/...).
# A fault loop, not a test: it prints, and exits 1 if anything acknowledged
# was lost or doubled or the copies differ.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/nats_node.sh
MODE=${2:-random}
case $MODE in writer) default_kills=20 ;; test) default_kills=2 ;; *) default_kills=100 ;; esac
KILLS=${1:-$default_kills}
CLIENTS=${CLIENTS:-4}
LEASE_MS=${LEASE_MS:-6000}
NODES=${NODES:-3}
LEDGERD=${LEDGERD:-build/services/ledgerd}
CTL=${LEDGERCTL:-build/tools/ledgerctl}
FAULTS=${CLUSTER_FAULTS:-build/tools/cluster_faults}
DIR=$(mktemp -d "${TEST_TMPDIR:-/var/tmp}/cluster_faults.XXXXXX")
# Free loopback ports, kept for restarts.
read -r -a ports <<<"$(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(6 + int("'"$NODES"'"))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"
NATS_PORTS=("${ports[@]:0:3}")
ROUTE_PORTS=("${ports[@]:3:3}")
NODE_PORTS=("" "${ports[@]:6}")
declare -A pid
load_pid=

stop_all() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
  for name in "${!pid[@]}"; do kill "${pid[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
# KEEP=1: the processes' logs and data stay in $DIR.
trap 'stop_all; [ "${KEEP:-0}" = 1 ] && echo "kept $DIR" || rm -rf "$DIR"' EXIT

urls=$(printf 'nats://127.0.0.1:%s,' "${NATS_PORTS[@]}")
urls=${urls%,}
targets=$(for i in $(seq 1 "$NODES"); do printf '127.0.0.1:%s,' "${NODE_PORTS[$i]}"; done)
targets=${targets%,}
$CTL audit keygen "complaints.example/faults" "$DIR/log.key" >"$DIR/log.pub"

start_nats() {  # start_nats I
  local i=$1
  start_nats_node "$DIR" "nats$i" "${NATS_PORTS[$i]}" "${ROUTE_PORTS[$i]}" \
    "${ROUTE_PORTS[@]}"
  pid[nats$i]=$NATS_PID
  # Until it takes connections (JetStream catches up on its own).
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/${NATS_PORTS[$i]}") 2>/dev/null && return 0
    sleep 0.1
  done
}

start_node() {  # start_node I: until it serves (its copy caught up)
  local i=$1
  rm -f "$DIR/node$i.port"
  $LEDGERD --insecure_no_auth --log nats --nats_url "$urls" --node_id "node$i" \
    --lease_ms "$LEASE_MS" --nats_connect_s 120 --data_dir "$DIR/node$i" \
    --listen "127.0.0.1:${NODE_PORTS[$i]}" --port_file "$DIR/node$i.port" \
    --signing_key "$DIR/log.key" >>"$DIR/node$i.log" 2>&1 &
  pid[node$i]=$!
  for _ in $(seq 1 1800); do
    [ -s "$DIR/node$i.port" ] && return 0
    kill -0 "${pid[node$i]}" 2>/dev/null || { tail -20 "$DIR/node$i.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "cluster_faults: node$i did not start" >&2
  exit 1
}

# The node that said last that it writes the log.
writer() {
  local best=0 who= line when
  for i in $(seq 1 "$NODES"); do
    line=$(grep "WriterLease: node$i writes the log\|WriterLease: node$i stops writing" \
      "$DIR/node$i.log" | tail -1 || true)
    case $line in
      *"writes the log"*)
        when=${line%% *}
        if [[ $when > $best ]]; then best=$when who=$i; fi ;;
    esac
  done
  echo "$who"
}

for i in 0 1 2; do start_nats "$i"; done
for i in $(seq 1 "$NODES"); do start_node "$i"; done
for _ in $(seq 1 600); do [ -n "$(writer)" ] && break; sleep 0.1; done
for who in "h1 centre-head" "a17 agent"; do
  set -- $who
  $CTL --target "127.0.0.1:${NODE_PORTS[1]}" --agent h1 register-agent --agent-id "$1" \
    --display-name "$1" --roles "$2" --active \
    --command-id "faults-register-$1" >/dev/null
done

"$FAULTS" --targets "$targets" --clients "$CLIENTS" --run "$$" \
  --stop_file "$DIR/stop" --done_file "$DIR/done" --verify_file "$DIR/verify" \
  --acks_file "$DIR/acks" >"$DIR/load.out" 2>"$DIR/load.err" &
load_pid=$!

no_takeover=
kills=()  # writer mode: each kill's wall time (unix ms)
victims=(nats0 nats1 nats2)
for i in $(seq 1 "$NODES"); do victims+=("node$i"); done
for round in $(seq 1 "$KILLS"); do
  if [ "$MODE" = writer ] || { [ "$MODE" = test ] && [ "$round" = 2 ]; }; then
    # A writer (none while NATS elects the lease stream's leader after a
    # NATS server's death: renewals fail, the holder steps down).
    for _ in $(seq 1 1200); do [ -n "$(writer)" ] && break; sleep 0.05; done
    [ -n "$(writer)" ] || { echo "no node writes the log" >&2; exit 1; }
    victim=node$(writer)
  elif [ "$MODE" = test ]; then
    victim=nats$((RANDOM % 3))
  else
    victim=${victims[RANDOM % ${#victims[@]}]}
  fi
  kill -9 "${pid[$victim]}"
  wait "${pid[$victim]}" 2>/dev/null || true
  kills+=("$(date +%s%3N)")  # Dead: no answer comes from it after this.
  if [ "${victim#node}" = "$(writer)" ] && [ "$MODE" != random ]; then
    # Until another node writes, then the old one back as a follower.
    taken=
    for _ in $(seq 1 1200); do
      w=$(writer)
      [ -n "$w" ] && [ "node$w" != "$victim" ] && { taken=1; break; }
      sleep 0.05
    done
    [ -n "$taken" ] || { echo "no other node took the lease from $victim" >&2; no_takeover=1; }
  else
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.1f", 0.5 + 2.5 * r / 32767 }')"
  fi
  case $victim in
    nats*) start_nats "${victim#nats}"; sleep 2 ;;
    node*) start_node "${victim#node}" ;;
  esac
  echo "round $round: killed $victim; the writer is node$(writer)"
  sleep 1
done

# The load stops; then every process is stopped and started again before
# the checks.
touch "$DIR/stop"
while [ ! -f "$DIR/done" ]; do
  kill -0 "$load_pid" 2>/dev/null || break
  sleep 0.1
done
for name in "${!pid[@]}"; do
  case $name in node*) kill "${pid[$name]}" 2>/dev/null || true ;; esac
done
for name in "${!pid[@]}"; do
  case $name in node*) wait "${pid[$name]}" 2>/dev/null || true ;; esac
done
for i in 0 1 2; do kill "${pid[nats$i]}" 2>/dev/null || true; done
for i in 0 1 2; do wait "${pid[nats$i]}" 2>/dev/null || true; done
for i in 0 1 2; do start_nats "$i"; done
for i in $(seq 1 "$NODES"); do start_node "$i"; done
echo "restarted everything"
touch "$DIR/verify"
status=0
wait "$load_pid" || status=$?
load_pid=
cat "$DIR/load.out"
[ -s "$DIR/load.err" ] && head -20 "$DIR/load.err"
for i in $(seq 1 "$NODES"); do
  verified=$($CTL --target "127.0.0.1:${NODE_PORTS[$i]}" --log_key_file "$DIR/log.pub" verify 2>&1 | tr '\n' ' ')
  echo "node$i: $verified"
  grep -q "chain OK" <<<"$verified" || status=1
done
grep -q "^cluster_faults: [1-9][0-9]* acknowledged" "$DIR/load.out" || status=1
[ -z "$no_takeover" ] || status=1
if [ "$MODE" = writer ]; then
  # Each kill to the first acknowledgement after it.
  printf '%s\n' "${kills[@]}" | awk -v acks="$DIR/acks" '
    BEGIN { while ((getline t < acks) > 0) ack[n++] = t }
    { for (i = 0; i < n; i++) if (ack[i] > $1) { print ack[i] - $1; break } }' |
    sort -n | awk '{ d[++m] = $1 } END {
      for (i = 1; i <= m; i++) printf "%s%d", (i > 1 ? " " : "failover ms: "), d[i]
      printf "\nfailover over %d kills: p50 %d ms, max %d ms\n", m, d[int((m + 1) / 2)], d[m]
    }'
fi
exit "$status"
