#!/usr/bin/env bash
# A network fault's history target is written whole, however many nodes its sides name
# (it used to be cut at 96 bytes with "..."), each node once per side, in the binary
# history, its JSONL expansion and `--history jsonl` alike; results.json lists the same
# nodes under faults[0].nodes. tests/scenarios/long-fault-target.yaml.
# Usage (from the source root): long_fault_target.sh BROKERLAB OUT_DIR
set -euo pipefail
brokerlab=$1
out=$2
scenario=tests/scenarios/long-fault-target.yaml
rm -rf "$out"
mkdir -p "$out"
fail() { echo "long-fault-target: $*" >&2; exit 1; }
"$brokerlab" run "$scenario" --out "$out/binary" >/dev/null
"$brokerlab" run "$scenario" --out "$out/jsonl" --history jsonl >/dev/null
producers=$(for i in 0 1 2 3 4 5; do printf 'producer/checkout-service-eu-west/%s,' "$i"; done)
consumers=$(for i in 0 1 2 3 4 5; do printf 'consumer/ledger-reconciliation/%s,' "$i"; done)
clients="${producers}${consumers%,}"
# Side a is [brokers, broker(0)]: broker/0 once.
want="\"target\":\"broker/0,broker/1,broker/2 <-> $clients\""
[ "${#want}" -gt 400 ] || fail "the expected target is not long enough to test anything"
"$brokerlab" history "$out/binary" >"$out/expanded.jsonl"
for history in "$out/expanded.jsonl" "$out/jsonl/history.jsonl"; do
  starts=$(grep '"kind":"partition"' "$history" | grep -c -F -- "$want" || true)
  [ "$starts" -eq 2 ] || fail "$history: $starts partition records with the whole target, expected 2 (start and stop)"
  if grep '"f":"fault"' "$history" | grep -q -F '...'; then fail "$history: a fault target was cut short"; fi
done
cmp -s "$out/expanded.jsonl" "$out/jsonl/history.jsonl" || fail "brokerlab history differs from --history jsonl"
python3 - "$out/binary/results.json" "$clients" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
fault = results["faults"][0]
want = ["broker/0", "broker/1", "broker/2"] + sys.argv[2].split(",")
if fault["nodes"] != want:
    sys.exit(f"faults[0].nodes: {fault['nodes']}, expected {want}")
if fault["target"] != "brokers,broker(0) <-> clients":
    sys.exit(f"faults[0].target: {fault['target']!r}")
PY
echo "long-fault-target: the 15-node target is whole in every history form"
