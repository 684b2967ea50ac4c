#!/usr/bin/env bash
# Wall time of `assay demo` end to end (cohort, inventory, the model clean and under
# every stress perturbation, the protocol, bundle and report); the target is under
# three minutes on two cores.
# Usage: bench/demo_bench.sh ASSAY_BINARY
set -euo pipefail
assay=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s.%N)
"$assay" demo --out "$work/demo" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
end=$(date +%s.%N)
grep -A4 "^Planted failure modes" "$work/log" || true
awk -v start="$start" -v end="$end" -v cores="$(nproc)" 'BEGIN {
  s = end - start
  printf "summary\tassay demo end to end, %d cores\t%.0f s\t< 180 s\t%s\n", cores, s,
         (s < 180 ? "met" : "NOT MET")
}'
