#!/usr/bin/env bash
# Sets everything up, builds, and runs every test twice: a normal build in
# build/ and an AddressSanitizer + UndefinedBehaviorSanitizer build in
# build-asan/, then each fuzzer for a bounded run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
jobs=$(nproc)
# The tests run ledgerctl: not with the settings of whoever runs them
# (tools/ledgerctl/cli.h: profiles and LEDGER_* variables).
export LEDGERCTL_CONFIG=/dev/null
unset LEDGER_TARGET LEDGER_PROFILE LEDGER_AS LEDGER_IDENTITY LEDGER_TOKEN \
  LEDGER_TOKEN_FILE LEDGER_TLS_CA LEDGER_FORMAT LEDGER_TIME_ZONE LEDGER_CSV_BOM

tools/build.sh build
(cd build && ctest --output-on-failure --parallel "$jobs")

tools/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DLEDGER_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure --parallel "$jobs")

# Each fuzzer (fuzz/) for 30,000 inputs from its seed corpus (the slowest,
# the flag parser, takes ~20 s), built with clang-14 in build-fuzz/; fails
# on a crash.
tools/fuzz.sh --runs 30000
