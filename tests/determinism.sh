#!/usr/bin/env bash
# Same scenario + seed => byte-identical history and results (but wall_time_s and the
# history file fields); another seed => another history. The history digest does not
# depend on the output format; `brokerlab history` expands history.blh into exactly the
# bytes `--history jsonl` writes, whose SHA-256 is history_sha256; history.jsonl.zst
# decompresses to the same bytes. Usage: determinism.sh BROKERLAB OUT_DIR
set -euo pipefail
brokerlab=$1
out=$2
rm -rf "$out"
scenario=scenarios/claims/c16-kafka-kill9-duplicates.yaml
cd "$(dirname "$0")/.."
"$brokerlab" run "$scenario" --out "$out/a" >/dev/null
"$brokerlab" run "$scenario" --out "$out/b" >/dev/null
"$brokerlab" run "$scenario" --out "$out/j" --history jsonl >/dev/null
"$brokerlab" run "$scenario" --out "$out/z" --history jsonl.zst >/dev/null
"$brokerlab" run "$scenario" --out "$out/n" --history none >/dev/null
"$brokerlab" run "$scenario" --seed 2 --out "$out/c" >/dev/null || true
fail() { echo "determinism: $*" >&2; exit 1; }
cmp "$out/a/history.blh" "$out/b/history.blh" || fail "same seed, different history.blh"
strip() { grep -v -E '"(wall_time_s|git_commit|history_sha256|history_format|history_file|history_bytes)"' "$1"; }
for run in b j z n; do
  diff <(strip "$out/a/results.json") <(strip "$out/$run/results.json") ||
    fail "results.json of run $run differs from run a"
done
field() { sed -n "s/.*\"$2\": \"\\{0,1\\}\\([0-9a-z]*\\)\"\\{0,1\\}.*/\\1/p" "$1"; }
[ "$(field "$out/a/results.json" history_sha256)" = null ] || fail "history_sha256 without a JSONL file"
sha_j=$(field "$out/j/results.json" history_sha256)
[ "$sha_j" = "$(sha256sum "$out/j/history.jsonl" | cut -d' ' -f1)" ] || fail "history_sha256 does not match history.jsonl"
"$brokerlab" history "$out/a" >"$out/a.jsonl"
cmp "$out/a.jsonl" "$out/j/history.jsonl" || fail "brokerlab history differs from --history jsonl"
zstd -dc "$out/z/history.jsonl.zst" | cmp - "$out/j/history.jsonl" || fail "history.jsonl.zst differs from history.jsonl"
[ "$(field "$out/z/results.json" history_sha256)" = "$sha_j" ] || fail "history_sha256 of jsonl.zst is not that of the JSONL"
[ "$(field "$out/a/results.json" history_records)" = "$(wc -l <"$out/j/history.jsonl" | tr -d ' ')" ] ||
  fail "history_records is not the JSONL line count"
[ "$(field "$out/a/results.json" history_digest)" != "$(field "$out/c/results.json" history_digest)" ] ||
  fail "different seed, same history"
[ ! -e "$out/n/history.blh" ] || fail "--history none wrote a file"
echo "determinism: 8 passed, 0 failed"
