#!/usr/bin/env bash
# Sets everything up, builds, and runs every test twice: a normal build in
# build/ and an AddressSanitizer + UndefinedBehaviorSanitizer build in
# build-asan/, then each fuzzer for a bounded run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
jobs=$(nproc)

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
