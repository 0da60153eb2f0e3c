#!/usr/bin/env bash
# Runs every test: the normal build, then every test again in the ASan+UBSan build.
# The README's second command.
set -euo pipefail
cd "$(dirname "$0")/.."
# What only the tests need: a browser for the report render test, validators for the
# JUnit XML (xmllint) and the JSON Schemas (python3-jsonschema), GNU parallel for the
# README's sharded sweep, valgrind for the memcheck test.
./scripts/install_packages.sh chromium libxml2-utils python3-jsonschema parallel valgrind
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
# The RabbitMQ model against Debian's RabbitMQ 3.10 on this machine (about 20 s).
./scripts/calibrate-rabbitmq.sh build/brokerlab
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DBL_SANITIZE=ON >/dev/null
cmake --build build-sanitize -j"$(nproc)"
ctest --test-dir build-sanitize --output-on-failure -j"$(nproc)"
# Each libFuzzer harness for a minute (clang, ASan+UBSan, in build-fuzz/), then every
# mutant broker against the scenarios (build-mutant/): issue 16's checks.
./scripts/fuzz.sh 60
./scripts/mutants.sh
