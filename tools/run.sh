#!/usr/bin/env bash
# Sets everything up, builds into build/, seeds an empty ledger (three
# months of a simulated call centre's traffic, then six complaints of today
# at different stages), and runs ledgerd in the foreground on the embedded
# RocksDB.
#   LEDGER_LISTEN (default 127.0.0.1:50051), LEDGER_DATA_DIR (./ledger-data)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh build
listen=${LEDGER_LISTEN:-127.0.0.1:50051}
data_dir=${LEDGER_DATA_DIR:-./ledger-data}
build/tools/ledger_seed --data_dir "$data_dir" --history_months 3 ||
  echo "run: seeding failed (see above); ledgerd starts anyway" >&2
ctl="build/tools/ledgerctl --target $listen"
echo "Try, in another shell:"
echo "  $ctl show $(date +%Y)-000001      # a complaint and its timeline"
echo "  $ctl stations --month $(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)   # last month's station table"
echo "  $ctl log                          # the log, oldest first"
echo "  $ctl help receive                 # what a command takes"
exec build/services/ledgerd --listen "$listen" --data_dir "$data_dir"
