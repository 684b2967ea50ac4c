#!/usr/bin/env bash
# Installs every Debian package that assay's build, tests and benchmarks need.
# Idempotent: packages already present are skipped; uses sudo when not root.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config clang-format clang-tidy
  # libFuzzer targets (clang with its sanitizer and fuzzer runtimes)
  clang libclang-rt-14-dev
  # libraries
  libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libboost-math-dev
  libeigen3-dev libtbb-dev libtomlplusplus-dev libssl-dev libsqlite3-dev libdcmtk-dev
  libopenjp2-7-dev libinsighttoolkit5-dev libjemalloc-dev libjpeg-dev
  # model backends: LibTorch (TorchScript) and OpenCV (ONNX through DNN, imgproc)
  libtorch-dev libopencv-dnn-dev libopencv-imgproc-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # independent reference implementations used by the tests
  r-base-core r-cran-proc python3 python3-numpy python3-scipy python3-sklearn
  python3-statsmodels python3-jsonschema python3-pydicom python3-torch
  # the HTML report's PDF and its browser test
  chromium poppler-utils
)
# Node.js and npm install the report's scripts (package-lock.json); a machine
# that already has them (from any source) keeps its own.
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The report's browser scripts (Vega, Vega-Lite, vega-embed) and the browser
# test's driver (playwright-core), exactly as package-lock.json pins them.
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
