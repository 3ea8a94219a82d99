# Sourced by tools/cluster.sh, cluster_bench.sh and cluster_faults.sh: one
# nats-server of a JetStream cluster on loopback.
#   start_nats_node DIR NAME CLIENT_PORT ROUTE_PORT ALL_ROUTE_PORTS...
# writes DIR/NAME.conf (JetStream in DIR/NAME, max_payload 8MB for the
# ledger's groups, routes to every ALL_ROUTE_PORTS), starts the server in
# the background with its output appended to DIR/NAME.log, and sets
# NATS_PID to its pid.
start_nats_node() {
  local dir=$1 name=$2 port=$3 route=$4
  shift 4
  local routes
  routes=$(printf 'nats-route://127.0.0.1:%s, ' "$@")
  mkdir -p "$dir/$name"
  cat >"$dir/$name.conf" <<CONF
server_name: $name
listen: 127.0.0.1:$port
max_payload: 8MB
jetstream { store_dir: "$dir/$name" }
cluster { name: ledger, listen: 127.0.0.1:$route, routes: [${routes%, }] }
CONF
  nats-server -c "$dir/$name.conf" >>"$dir/$name.log" 2>&1 &
  NATS_PID=$!
}
