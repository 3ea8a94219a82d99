#!/usr/bin/env bash
# A replicated ledger on this machine (issue 29; README, "Replication"):
# three nats-server processes as one JetStream cluster, and two (or three)
# ledgerd nodes on its log of record (--log nats), each with its own copy
# under ledger-cluster/; one holds the writer's lease, the others follow
# and send clients to it. Over TLS with the development identity
# (tools/dev_identity.sh), every node with the log's signing key. The
# first time, the demo's traffic is seeded through the writer (ledger_sim
# over gRPC).
#   tools/cluster.sh [up]     start what is not running; print what to try
#   tools/cluster.sh down     stop what it started (ledgerd first, then NATS)
# LEDGER_CLUSTER_DIR (default ./ledger-cluster), LEDGER_NODES (2 or 3),
# LEDGER_LEASE_MS (default 6000), SKIP_BUILD=1 to use build/ as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/nats_node.sh
dir=${LEDGER_CLUSTER_DIR:-./ledger-cluster}
nodes=${LEDGER_NODES:-2}
lease_ms=${LEDGER_LEASE_MS:-6000}
nats_ports=(14222 14223 14224)
route_ports=(16222 16223 16224)
pids=$dir/pids

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
# The pid recorded for NAME, if it runs.
pid_of() {
  local p
  p=$(awk -v n="$1" '$1 == n { print $2 }' "$pids" 2>/dev/null | tail -1)
  alive "$p" && echo "$p" || true
}

down() {
  [ -f "$pids" ] || { echo "cluster: nothing started from $dir"; return 0; }
  # The nodes first (a node stopped hands its lease over), then NATS.
  for kind in ledgerd nats; do
    while read -r name p; do
      case $name in "$kind"*) alive "$p" && kill "$p" 2>/dev/null || true ;; esac
    done <"$pids"
    while read -r name p; do
      case $name in "$kind"*) while alive "$p"; do sleep 0.1; done ;; esac
    done <"$pids"
  done
  rm -f "$pids"
  echo "cluster: stopped (data kept in $dir; rm -rf it to start afresh)"
}

if [ "${1:-up}" = down ]; then
  down
  exit 0
fi
if [ "${1:-up}" != up ]; then
  echo "usage: tools/cluster.sh [up|down]" >&2
  exit 2
fi
if [ "$nodes" != 2 ] && [ "$nodes" != 3 ]; then
  echo "cluster: LEDGER_NODES is 2 or 3" >&2
  exit 2
fi

if [ -z "${SKIP_BUILD:-}" ]; then
  tools/setup.sh
  tools/build.sh build
fi
mkdir -p "$dir"
touch "$pids"
# The demo's people, and the simulated call centre's agents (ledger_sim).
agents=(h1 a17 a18 c1 gm au1 feed a1 a2 a3 a4 a5 a6 a7 a8)
identity=$dir/identity
tools/dev_identity.sh "$identity" "${agents[@]}" >/dev/null
signing_key=$dir/log-signing.key
if [ ! -f "$signing_key" ]; then
  build/tools/ledgerctl audit keygen "complaints.example/cluster" \
    "$signing_key" >"$dir/log.pub"
fi

# NATS: three servers, one JetStream cluster.
for i in 0 1 2; do
  [ -n "$(pid_of "nats$i")" ] && continue
  start_nats_node "$dir" "nats$i" "${nats_ports[$i]}" "${route_ports[$i]}" \
    "${route_ports[@]}"
  echo "nats$i $NATS_PID" >>"$pids"
done
urls=$(printf 'nats://127.0.0.1:%s,' "${nats_ports[@]}")
urls=${urls%,}

# The ledgerd nodes.
for i in $(seq 1 "$nodes"); do
  [ -n "$(pid_of "ledgerd$i")" ] && continue
  rm -f "$dir/node$i.port"
  build/services/ledgerd --log nats --nats_url "$urls" --node_id "node$i" \
    --lease_ms "$lease_ms" --data_dir "$dir/node$i" \
    --listen "127.0.0.1:5006$i" --http_listen "127.0.0.1:846$i" \
    --port_file "$dir/node$i.port" \
    --tls_cert "$identity/server.pem" --tls_key "$identity/server-key.pem" \
    --client_ca "$identity/ca.pem" --jwks "$identity/jwks.json" \
    --jwt_issuer urn:complaint-ledger:development-issuer --bootstrap_head h1 \
    --signing_key "$signing_key" --key_file "$identity/site-keys.txt" \
    >>"$dir/node$i.log" 2>&1 &
  echo "ledgerd$i $!" >>"$pids"
done
for i in $(seq 1 "$nodes"); do
  for _ in $(seq 1 900); do
    [ -s "$dir/node$i.port" ] && break
    alive "$(pid_of "ledgerd$i")" || { tail -20 "$dir/node$i.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$dir/node$i.port" ] || { echo "cluster: node$i did not start" >&2; exit 1; }
done

# Which node writes: the last of them to say so in its log.
writer=
for _ in $(seq 1 600); do
  best=0
  for i in $(seq 1 "$nodes"); do
    line=$(grep -n "WriterLease: node$i writes the log\|WriterLease: node$i stops writing" \
      "$dir/node$i.log" | tail -1 || true)
    case $line in
      *"writes the log"*)
        when=$(sed -E 's/^[0-9]+:([^ ]+) .*/\1/' <<<"$line")
        if [[ $when > $best ]]; then best=$when writer=$i; fi ;;
    esac
  done
  [ -n "$writer" ] && break
  sleep 0.1
done
[ -n "$writer" ] || { echo "cluster: no node took the writer's lease" >&2; exit 1; }
target=127.0.0.1:5006$writer

# The demo's traffic, the first time, through the writer.
ctl="build/tools/ledgerctl --identity $identity"
if [ ! -f "$dir/seeded" ]; then
  build/tools/ledger_sim --target "$target" --identity "$identity" \
    --cases 200 --months 1 --first_month "$(date +%Y-%m)" >"$dir/seed.log" 2>&1 ||
    { tail -5 "$dir/seed.log" >&2; echo "cluster: seeding failed" >&2; exit 1; }
  # The demo's agent and auditor besides the simulation's people.
  for who in "a17 agent" "au1 auditor"; do
    set -- $who
    $ctl --target "$target" --as h1 register-agent --agent-id "$1" \
      --display-name "$1" --roles "$2" --active \
      --command-id "cluster-register-$1" >>"$dir/seed.log"
  done
  touch "$dir/seeded"
fi

follower=$(( writer == 1 ? 2 : 1 ))
echo "cluster: NATS on ${nats_ports[*]}; ledgerd node1..node$nodes on 127.0.0.1:50061..5006$nodes (console: https://127.0.0.1:846N/)"
echo "cluster: node$writer writes the log (pid $(pid_of "ledgerd$writer")); logs in $dir/*.log"
echo "Try:"
echo "  $ctl --target 127.0.0.1:5006$follower --as a17 receive --channel phone --customer-phone 13800001234 --content 'a wet newspaper'   # sent to a follower: ledgerctl goes to the writer"
echo "  $ctl --target 127.0.0.1:5006$follower --as h1 queue overdue      # any node answers reads from its copy"
echo "  $ctl --target 127.0.0.1:5006$follower --as h1 find --phone 13800001234   # the customer's contact, sealed by the writer, opened by a follower"
echo "  $ctl --target 127.0.0.1:5006$follower --as au1 --log_key_file $dir/log.pub audit checkpoint   # signed by whichever node wrote"
echo "  kill -9 $(pid_of "ledgerd$writer")      # the writer dies: another node writes within about ${lease_ms} ms"
echo "  tools/cluster.sh            # starts again what is not running (the killed node comes back as a follower)"
echo "  tools/cluster.sh down       # stops it all"
