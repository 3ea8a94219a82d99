#!/usr/bin/env bash
# Fetches the console's browser-side dependencies from the npm registry at
# the versions services/console/vendor/package-lock.json pins (npm ci checks
# each package's sha512 against the lock file), and checks that the copies
# compiled into ledgerd are those versions' files, byte for byte.
#   tools/vendor_console.sh           # check (exit 1 on a difference)
#   tools/vendor_console.sh --update  # copy them into services/console/vendor/
# Needs node and npm (not part of tools/setup.sh: ledgerd's build reads only
# the committed copies, and needs no network).
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=services/console/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$vendor/package.json" "$vendor/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
modules=$work/node_modules
pairs=(
  "$modules/echarts/dist/echarts.min.js:$vendor/echarts.min.js"
  "$modules/echarts/LICENSE:$vendor/echarts.LICENSE"
  "$modules/echarts/NOTICE:$vendor/echarts.NOTICE"
  "$modules/zrender/LICENSE:$vendor/zrender.LICENSE"
  "$modules/tslib/LICENSE.txt:$vendor/tslib.LICENSE"
)
status=0
for pair in "${pairs[@]}"; do
  from=${pair%%:*}
  to=${pair#*:}
  if [[ ${1:-} == --update ]]; then
    cp "$from" "$to"
    echo "vendor_console: $to updated"
  elif cmp -s "$from" "$to"; then
    echo "vendor_console: $to is the locked version's file"
  else
    echo "vendor_console: $to differs from the locked version's $from" >&2
    status=1
  fi
done
exit $status
