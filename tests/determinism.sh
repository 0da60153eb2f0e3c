#!/usr/bin/env bash
# Same scenario + seed => byte-identical history and results (but wall_time_s); another
# seed => another history. Usage: determinism.sh BROKERLAB OUT_DIR
set -euo pipefail
brokerlab=$1
out=$2
rm -rf "$out"
scenario=scenarios/claims/c16-kafka-kill9-duplicates.yaml
cd "$(dirname "$0")/.."
"$brokerlab" run "$scenario" --out "$out/a" >/dev/null
"$brokerlab" run "$scenario" --out "$out/b" >/dev/null
"$brokerlab" run "$scenario" --seed 2 --out "$out/c" >/dev/null || true
cmp "$out/a/history.jsonl" "$out/b/history.jsonl"
strip_wall() { grep -v '"wall_time_s"' "$1"; }
if ! diff <(strip_wall "$out/a/results.json") <(strip_wall "$out/b/results.json"); then
  echo "results.json differs between two runs of the same seed" >&2
  exit 1
fi
sha() { sed -n 's/.*"history_sha256": "\([0-9a-f]*\)".*/\1/p' "$1"; }
sha_a=$(sha "$out/a/results.json")
[ "$sha_a" = "$(sha256sum "$out/a/history.jsonl" | cut -d' ' -f1)" ] || { echo "history_sha256 does not match the file" >&2; exit 1; }
[ "$sha_a" = "$(sha "$out/b/results.json")" ] || { echo "same seed, different history" >&2; exit 1; }
[ "$sha_a" != "$(sha "$out/c/results.json")" ] || { echo "different seed, same history" >&2; exit 1; }
echo "determinism: 2 passed, 0 failed"
