#!/usr/bin/env bash
# Sets everything up, builds into build/, makes a development identity (a
# throwaway CA and server certificate, a token issuer, a token per demo
# agent: tools/dev_identity.sh), seeds an empty ledger (three months of a
# simulated call centre's traffic, then six complaints of today at
# different stages), and runs ledgerd in the foreground on the embedded
# RocksDB, over TLS, checking every caller's token, customers' personal
# data sealed with the site's keys.
# HTTPS beside gRPC serves the console (a link signed in as the centre head
# is printed) and /metrics.
#   LEDGER_LISTEN (default 127.0.0.1:50051), LEDGER_HTTP_LISTEN
#   (127.0.0.1:8443), LEDGER_DATA_DIR (./ledger-data)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh build
listen=${LEDGER_LISTEN:-127.0.0.1:50051}
http_listen=${LEDGER_HTTP_LISTEN:-127.0.0.1:8443}
data_dir=${LEDGER_DATA_DIR:-./ledger-data}
identity=$data_dir/identity
# The seed's people: the head, two agents, a clerk, the general manager, an
# auditor and a service (tools/ledger_seed.cc).
demo_agents=(h1 a17 a18 c1 gm au1 feed)
mkdir -p "$data_dir"
tools/dev_identity.sh "$identity" "${demo_agents[@]}"
build/tools/ledger_seed --data_dir "$data_dir" --history_months 3 \
  --key_file "$identity/site-keys.txt" ||
  echo "run: seeding failed (see above); ledgerd starts anyway" >&2
# The log's checkpoint signing key (once: a log keeps its key), and its
# verifier key, which auditors check checkpoints against.
signing_key=$data_dir/log-signing.key
if [ ! -f "$signing_key" ]; then
  build/tools/ledgerctl audit keygen "complaints.example/demo" "$signing_key" \
    > "$data_dir/log.pub"
fi
ctl="build/tools/ledgerctl --target $listen"
echo "Try, in another shell (tokens for ${demo_agents[*]} in $identity/tokens):"
echo "  export LEDGER_IDENTITY=$identity"
echo "  $ctl --as a17 show $(date +%Y)-000001      # a complaint and its timeline, as agent a17"
echo "  $ctl --as h1 stations --month $(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)   # last month's station table, as the centre head"
echo "  $ctl --as au1 log                          # the log, oldest first, as the auditor"
echo "  $ctl --as au1 --log_key_file $data_dir/log.pub audit checkpoint   # the log's signed checkpoint, saved"
echo "  $ctl --as au1 --log_key_file $data_dir/log.pub audit consistency checkpoint-N.note   # later: the log still extends it"
echo "  $ctl help receive                          # what a command takes"
echo "  curl -s --cacert $identity/ca.pem -H \"Authorization: Bearer \$(cat $identity/tokens/h1.token)\" -d '{\"month\":{\"year\":$(date +%Y),\"month\":$(date +%-m)}}' https://$http_listen/api/v1/ledger.v1.QueryService/GetStationTable   # the JSON API"
echo "  curl --cacert $identity/ca.pem -H \"Authorization: Bearer \$(cat $identity/tokens/au1.token)\" https://$http_listen/metrics   # Prometheus metrics"
echo
echo "The console, signed in as the centre head h1 (your browser will warn about the development CA, $identity/ca.pem):"
echo "  https://$http_listen/#token=$(cat "$identity/tokens/h1.token")"
echo
exec build/services/ledgerd --listen "$listen" --http_listen "$http_listen" \
  --data_dir "$data_dir" \
  --tls_cert "$identity/server.pem" --tls_key "$identity/server-key.pem" \
  --client_ca "$identity/ca.pem" --jwks "$identity/jwks.json" \
  --jwt_issuer urn:complaint-ledger:development-issuer --bootstrap_head h1 \
  --key_file "$identity/site-keys.txt" --signing_key "$signing_key"
