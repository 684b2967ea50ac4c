#!/usr/bin/env bash
# The main job: `assay demo` on a synthetic four-site cohort with planted failure
# modes: the reference model clean and perturbed, the demo protocol, the evidence
# bundle and its report in out/demo/results/ (open out/demo/results/report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/src/assay demo --out out/demo
