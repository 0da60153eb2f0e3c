#!/usr/bin/env bash
# Behaviour snapshot: runs the built-in default scenario and every scenario of
# scenarios/ and tests/scenarios/ (but the benchmark's) with its own seed and compares, per scenario, the history digest and the
# SHA-256 of results.json without its wall-clock, build-version and output-file fields against
# tests/golden/digests.txt. A refactoring must leave the file as it is; a change of a
# mechanism changes it on purpose, and the commit that does so says why and updates it
# with `golden_digests.sh BROKERLAB OUT_DIR --update`.
# Usage (from the source root): golden_digests.sh BROKERLAB OUT_DIR [--update]
set -euo pipefail
brokerlab=$1
out=$2
update=${3:-}
golden=tests/golden/digests.txt
rm -rf "$out"
mkdir -p "$out"
actual="$out/digests.txt"
strip() { grep -v -E '"(wall_time_s|version|git_commit|simgrid_version|history_sha256|history_format|history_file|history_bytes)"' "$1"; }
field() { sed -n "s/.*\"$2\": \"\\{0,1\\}\\([0-9a-z]*\\)\"\\{0,1\\}.*/\\1/p" "$1"; }
for scenario in --default scenarios/claims/*.yaml scenarios/network/*.yaml tests/scenarios/*.yaml; do
  name=$(basename -- "$scenario" .yaml)
  "$brokerlab" run "$scenario" --out "$out/$name" --history none >/dev/null 2>&1 || true
  results="$out/$name/results.json"
  [ -f "$results" ] || { echo "golden: $scenario wrote no results.json" >&2; exit 1; }
  echo "$scenario $(field "$results" history_digest) $(strip "$results" | sha256sum | cut -c1-16)"
done >"$actual"
if [ "$update" = --update ]; then
  cp "$actual" "$golden"
  echo "golden: $golden updated ($(wc -l <"$golden") scenarios)"
  exit 0
fi
if ! diff "$golden" "$actual"; then
  echo "golden: behaviour changed (left: $golden, right: this build)" >&2
  exit 1
fi
echo "golden: $(wc -l <"$golden") scenarios, digests unchanged"
