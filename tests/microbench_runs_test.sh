#!/usr/bin/env bash
# The microbenchmarks must keep running: each case is decided and applied by
# the real rules (a refusal aborts the program), and every benchmark reports.
# No timing is asserted: figures belong in BENCHMARKS.md.
#   microbench_runs_test.sh PATH_TO_MICROBENCH
set -euo pipefail
out=$("$1" --benchmark_min_time=0.01 --benchmark_format=json)
for name in BM_EventSerialize BM_EventParse BM_CanonicalBytes BM_EventHash \
    BM_DecideReceive BM_DecideReply BM_ApplyCase BM_ProjectionApply/0 \
    BM_ProjectionApply/3; do
  grep -q "\"name\": \"$name\"" <<<"$out" || { echo "no $name in:"; echo "$out"; exit 1; }
done
grep -q '"label": "queues"' <<<"$out"
