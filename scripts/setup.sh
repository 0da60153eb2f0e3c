#!/usr/bin/env bash
# Installs brokerlab's Debian dependencies when missing, builds it, and (unless
# --no-run) runs the built-in default scenario. The README's first command.
set -euo pipefail
cd "$(dirname "$0")/.."
packages="build-essential cmake pkg-config libsimgrid-dev libgsl-dev libyaml-dev libjansson-dev libssl-dev libcmocka-dev libzstd-dev zstd gnuplot-nox"
./scripts/install_packages.sh $packages
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
if [ "${1:-}" != "--no-run" ]; then
  ./build/brokerlab run --default
fi
