#!/usr/bin/env bash
# Computes reference values with independent tools into $ASSAY_REFERENCE_DIR.
# Each script writes one JSON file; the C++ tests compare against them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${ASSAY_REFERENCE_DIR:?set ASSAY_REFERENCE_DIR}
mkdir -p "$out"
for script in "$here"/*.R; do
  [ -e "$script" ] || continue
  Rscript --vanilla "$script" "$out"
done
for script in "$here"/*.py; do
  [ -e "$script" ] || continue
  /usr/bin/python3 "$script" "$out"
done
echo "reference values written to $out"
