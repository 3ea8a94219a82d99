#!/usr/bin/env bash
# --version says what was built: the project version, the commit (or
# "unknown" where the build is not stamped, as in Bazel's sandbox), the
# store format this build writes, and how it was compiled, from the
# compiler itself (not absl's own "Debug build", which described Debian's
# abseil, not us).
#   version_test.sh BINARY...
set -euo pipefail
for binary in "$@"; do
  name=$(basename "$binary")
  out=$("$binary" --version)
  echo "$out"
  grep -Eq "^$name [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{12}|unknown), store format 3, (optimised|not optimised), assertions (on|off)" <<<"$out"
  if grep -q "Debug build" <<<"$out"; then exit 1; fi
done
