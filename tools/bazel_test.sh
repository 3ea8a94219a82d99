#!/usr/bin/env bash
# The Bazel build of every target, offline, and its tests (see bazel/).
set -euo pipefail
# The tests run ledgerctl: not with the settings of whoever runs them
# (tools/ledgerctl/cli.h: profiles and LEDGER_* variables).
export LEDGERCTL_CONFIG=/dev/null
unset LEDGER_TARGET LEDGER_PROFILE LEDGER_AS LEDGER_IDENTITY LEDGER_TOKEN \
  LEDGER_TOKEN_FILE LEDGER_TLS_CA LEDGER_FORMAT LEDGER_TIME_ZONE LEDGER_CSV_BOM
cd "$(dirname "$0")/.."
tools/setup.sh
# Stop Bazel's server when done, so nothing outlives this script.
trap 'bazel shutdown >/dev/null 2>&1 || true' EXIT
bazel build //...
bazel test //...
