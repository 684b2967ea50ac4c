#!/usr/bin/env bash
# The main job, for now: evaluate the example triage model on its example
# test set and print the result table (evidence in out/example/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/src/assay evaluate \
  --cases examples/triage_cases.csv --truth truth --positive pneumothorax \
  --score score --id study_id --cluster patient \
  --group vendor --group site --group sex \
  --threshold 0.5 --compare cleared_score --prevalence 0.05 \
  --out out/example
