#!/usr/bin/env bash
# A development identity for a ledger on one machine (tools/run.sh, tests):
#   DIR/ca.pem, ca-key.pem            a throwaway CA (30 days)
#   DIR/server.pem, server-key.pem    ledgerd's certificate: localhost,
#                                     127.0.0.1, ::1
#   DIR/issuer-key.pem, jwks.json     a development token issuer
#                                     (tools/ledger_token; ledgerd trusts
#                                     its issuer on loopback only)
#   DIR/site-keys.txt                 the site's keys for personal data
#                                     (ledgerd --key_file; 0600)
#   DIR/tokens/AGENT.token            a fresh 12-hour token per AGENT named
#   DIR/clients/NAME.pem, -key.pem    with --client NAME: a service's
#                                     client certificate (CN=NAME)
# Keys and CA are made once and kept; tokens are minted anew every run.
#   tools/dev_identity.sh DIR [--client NAME]... [AGENT...]
# LEDGER_TOKEN_TOOL: the ledger_token binary (default build/tools/ledger_token).
set -euo pipefail
dir=${1:?usage: dev_identity.sh DIR [--client NAME]... [AGENT...]}
shift
token_tool=${LEDGER_TOKEN_TOOL:-build/tools/ledger_token}
mkdir -p "$dir/tokens" "$dir/clients"
chmod 700 "$dir"
ossl() { openssl "$@" 2>/dev/null; }

if [[ ! -f $dir/server.pem ]]; then
  ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" -days 30 \
    -subj "/CN=complaint-ledger development CA"
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/server-key.pem" -out "$dir/server.csr" -subj "/CN=localhost"
  ossl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" \
    -CAkey "$dir/ca-key.pem" -CAcreateserial -out "$dir/server.pem" -days 30 \
    -extfile <(printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
      "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth")
  rm -f "$dir/server.csr"
fi
[[ -f $dir/jwks.json ]] || "$token_tool" init "$dir" >/dev/null
if [[ ! -f $dir/site-keys.txt ]]; then
  (umask 077
   {
     printf '# complaint-ledger site keys (development; tools/dev_identity.sh)\n'
     printf 'master_key %s\n' "$(openssl rand -hex 32)"
     printf 'customer_ref_key %s\n' "$(openssl rand -hex 32)"
   } >"$dir/site-keys.txt.tmp")
  mv "$dir/site-keys.txt.tmp" "$dir/site-keys.txt"
fi

agents=()
while (($#)); do
  if [[ $1 == --client ]]; then
    name=${2:?--client NAME}
    shift 2
    if [[ ! -f $dir/clients/$name.pem ]]; then
      ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$dir/clients/$name-key.pem" -out "$dir/clients/$name.csr" \
        -subj "/CN=$name"
      ossl x509 -req -in "$dir/clients/$name.csr" -CA "$dir/ca.pem" \
        -CAkey "$dir/ca-key.pem" -CAcreateserial -out "$dir/clients/$name.pem" \
        -days 30 -extfile <(printf '%s\n' "basicConstraints=CA:FALSE" \
          "extendedKeyUsage=clientAuth")
      rm -f "$dir/clients/$name.csr"
    fi
  else
    agents+=("$1")
    shift
  fi
done
for agent in "${agents[@]}"; do
  "$token_tool" mint "$dir" "$agent" >"$dir/tokens/$agent.token.tmp"
  mv "$dir/tokens/$agent.token.tmp" "$dir/tokens/$agent.token"
done
