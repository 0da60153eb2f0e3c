#!/bin/sh
# Claim C31: capacity grows with the brokers. Runs scenarios/claims/c31-kafka-scale-out.yaml
# with 1, 2, 4 and 8 brokers over seeds 1..2 (brokerlab compare --vary) and checks that
# the group's throughput_per_s with n brokers is at least 0.85 x n times one broker's
# (near-linear; the offered load stays above eight brokers' NICs) and never above n
# times (a broker cannot send more than its NIC).
# usage: c31_scale_out.sh BROKERLAB OUT_DIR
set -eu
brokerlab=$1
out=$2
rm -rf "$out"
"$brokerlab" compare scenarios/claims/c31-kafka-scale-out.yaml --vary cluster.brokers=1,2,4,8 \
    --seeds 1..2 --jobs 2 --format json --out "$out" --quiet > "$out.json"
python3 - "$out/compare.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
row = next(r for r in doc["rows"] if r["metric"] == "groups.stats.throughput_per_s")
assert row["unit"] == "per_s", row["unit"]
base = row["values"][0]["mean"]
failed = False
for brokers, cell in zip((1, 2, 4, 8), row["values"]):
    ratio = cell["mean"] / base
    ok = 0.85 * brokers <= ratio <= brokers * 1.001
    failed |= not ok
    print("%s %d broker%s: %.1f/s, x%.2f of one broker (expected %.2f..%d)" % (
        "PASS" if ok else "FAIL", brokers, "" if brokers == 1 else "s", cell["mean"], ratio,
        0.85 * brokers, brokers))
sys.exit(1 if failed else 0)
PY
