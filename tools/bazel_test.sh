#!/usr/bin/env bash
# The Bazel build of every target, offline, and its tests (see bazel/).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# Stop Bazel's server when done, so nothing outlives this script.
trap 'bazel shutdown >/dev/null 2>&1 || true' EXIT
bazel build //...
bazel test //...
