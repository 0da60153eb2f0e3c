#!/usr/bin/env bash
# The two network models on a load whose answer depends on link sharing
# (scenarios/network/nic-contention.yaml): SimGrid's flow-level model sees the broker's
# NIC saturated (its expectation, ack p99 > 1 s, holds), the engine's per-sender model
# does not (the same scenario with network.model: engine fails that expectation, with a
# p99 far below). The SimGrid model is deterministic too.
# Usage (from the source root): network_models.sh BROKERLAB OUT_DIR
set -euo pipefail
brokerlab=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
scenario=scenarios/network/nic-contention.yaml
fail() { echo "network models: $*" >&2; exit 1; }
"$brokerlab" run "$scenario" --out "$out/simgrid" >/dev/null || fail "the simgrid model did not pass the scenario's expectation"
"$brokerlab" run "$scenario" --out "$out/simgrid-again" >/dev/null
strip() { grep -v -E '"(wall_time_s|scenario_path)"' "$1"; }
diff <(strip "$out/simgrid/results.json") <(strip "$out/simgrid-again/results.json") >/dev/null ||
  fail "two runs of the simgrid model differ"
sed 's/model: simgrid/model: engine/' "$scenario" >"$out/engine.yaml"
grep -q 'model: engine' "$out/engine.yaml" || fail "could not switch the scenario to the engine model"
status=0
"$brokerlab" run "$out/engine.yaml" --out "$out/engine" >/dev/null || status=$?
[ "$status" -eq 1 ] || fail "the engine model should fail the saturation expectation (exit $status)"
p99() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["producers"]["producer/app/0"]["latency"]["ack"]["p99"])' "$1"; }
python3 -c 'import sys; s, e = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if s > 20 * e and e < 0.1 else 1)' \
  "$(p99 "$out/simgrid/results.json")" "$(p99 "$out/engine/results.json")" ||
  fail "ack p99: simgrid $(p99 "$out/simgrid/results.json") s, engine $(p99 "$out/engine/results.json") s"
echo "network models: simgrid ack p99 $(p99 "$out/simgrid/results.json") s, engine $(p99 "$out/engine/results.json") s: 3 passed"
