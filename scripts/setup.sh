#!/usr/bin/env bash
# Installs brokerlab's Debian dependencies when missing, builds it, and (unless
# --no-run) runs the built-in default scenario. The README's first command.
set -euo pipefail
cd "$(dirname "$0")/.."
packages="build-essential cmake pkg-config libsimgrid-dev libgsl-dev libyaml-dev libjansson-dev libssl-dev libcmocka-dev libzstd-dev zstd gnuplot-nox"
missing=""
for package in $packages; do
  dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $missing
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
if [ "${1:-}" != "--no-run" ]; then
  ./build/brokerlab run --default
fi
