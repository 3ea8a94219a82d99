#!/bin/bash
# What TLS and token checks cost: one ledgerd build without authentication
# (--insecure_no_auth, plain TCP) and with it (TLS on the listener, every
# call's bearer token verified against a JWKS, the caller looked up in the
# registry, actors checked; the rate limit off, so that the machine is
# what is measured), each under its own copy of the same load, at the same
# time (tools/ab_together.sh: this machine's slow minutes fall on both):
#   tools/auth_cost.sh [LEDGERD] [ROUNDS]
# For single commands (8 clients, one call at a time each) and batches of
# 100: events/s and the server's CPU time per event, "old" without, "new"
# with, and new/old. Both loads and servers share the machine, so the
# clients' own TLS work counts against the servers' CPU too.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/services/ledgerd}
ROUNDS=${2:-5}
ID=/var/tmp/auth_cost.$$
trap 'rm -rf "$ID"' EXIT
LEDGER_TOKEN_TOOL=${LEDGER_TOKEN_TOOL:-build/tools/ledger_token} \
  tools/dev_identity.sh "$ID" load-head load-agent >/dev/null
export OLD_ARGS="--insecure_no_auth"
export NEW_ARGS="--jwks $ID/jwks.json
  --jwt_issuer urn:complaint-ledger:development-issuer --bootstrap_head load-head
  --tls_cert $ID/server.pem --tls_key $ID/server-key.pem --calls_per_second 0"
export NEW_LOAD_ARGS="--identity $ID"
export PROJECTIONS=${PROJECTIONS:-true}
for load in "--mode single --clients 8" "--mode batch --batch 100 --clients 8"; do
  echo "== $load, projections=$PROJECTIONS"
  LOAD_ARGS=$load tools/ab_together.sh "$BIN" "$BIN" "$ROUNDS"
done
