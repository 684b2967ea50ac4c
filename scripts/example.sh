#!/usr/bin/env bash
# The main job, for now: apply the example study protocol to the example
# triage model's test set; prints the verdicts and writes the evidence bundle
# with its HTML report to out/example/ (open out/example/report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/src/assay run examples/triage_protocol.toml --out out/example \
  --registry out/registry.sqlite
echo "report: out/example/report.html"
