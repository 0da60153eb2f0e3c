#!/usr/bin/env bash
# sweep, merge, check and compare: results independent of --jobs, shards merged into
# exactly the unsharded sweep, Ctrl-C leaving partial results marked partial, check's
# verdicts (always on every seed, sometimes on one) and its JUnit XML against the
# schema, compare --vary and its errors, and --check-determinism through a sweep.
# Usage (from the source root): sweep_commands.sh BROKERLAB OUT_DIR
set -uo pipefail
brokerlab=$1
out=$2
passed=0
failed=0
rm -rf "$out"
mkdir -p "$out"
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
expect_code() { # expected-code description command...
  local want=$1 what=$2
  shift 2
  "$@" >"$out/stdout" 2>"$out/stderr"
  local code=$?
  if [ "$code" -eq "$want" ]; then ok; else
    fail "$what: exit $code, expected $want"; tail -5 "$out/stderr"; fi
}
expect_out() { # description pattern file
  grep -q -- "$2" "$3" && ok || { fail "$1: no '$2' in $3"; head -20 "$3"; }
}
c16=scenarios/claims/c16-kafka-kill9-duplicates.yaml

# --jobs does not change a byte of sweep.json.
expect_code 0 "sweep --jobs 1" "$brokerlab" sweep "$c16" --seeds 1..5 --jobs 1 --out "$out/j1"
expect_out "sweep summary" "PASS  sometimes  duplicated > 0          held on 5 of 5 seeds" "$out/stdout"
expect_out "sweep anomaly" "groups.ledger.duplicated: 5 of 5 seeds, first seed 1" "$out/stdout"
expect_code 0 "sweep --jobs 2" "$brokerlab" sweep "$c16" --seeds 1..5 --jobs 2 --out "$out/j2" --quiet
cmp -s "$out/j1/sweep.json" "$out/j2/sweep.json" && ok || fail "sweep.json differs between --jobs 1 and 2"
[ ! -s "$out/stdout" ] && ok || fail "--quiet printed something"
ls "$out/j1/seeds/3/results.json" >/dev/null 2>&1 && ok || fail "no per-seed results.json"
ls "$out"/j1/seeds/*/history.* >/dev/null 2>&1 && fail "a sweep wrote histories unasked" || ok

# Shards merged give exactly the unsharded sweep, in any order.
for k in 1 2 3; do
  expect_code 0 "shard $k/3" "$brokerlab" sweep "$c16" --seeds 1..5 --shard $k/3 --out "$out/shard$k" --quiet
done
expect_code 0 "merge" "$brokerlab" merge "$out/shard3" "$out/shard1" "$out/shard2" --out "$out/merged"
cmp -s "$out/j1/sweep.json" "$out/merged/sweep.json" && ok || fail "merged shards differ from the sweep"
ls "$out/merged/seeds/4/results.json" >/dev/null 2>&1 && ok || fail "merge did not copy the seeds"
# The README's GNU parallel form of the same.
if command -v parallel >/dev/null; then
  expect_code 0 "sweep shards with GNU parallel" parallel --will-cite "$brokerlab" sweep "$c16" \
    --seeds 1..5 --shard {}/3 --jobs 1 --quiet --out "$out/par-{}" ::: 1 2 3
  expect_code 0 "merge of the parallel shards" "$brokerlab" merge "$out/par-1" "$out/par-2" "$out/par-3" \
    --out "$out/par-merged" --quiet
  cmp -s "$out/j1/sweep.json" "$out/par-merged/sweep.json" && ok || fail "GNU parallel shards differ from the sweep"
else
  fail "GNU parallel is not installed (scripts/test.sh installs it)"
fi
expect_code 2 "merge with a shard missing" "$brokerlab" merge "$out/shard1" "$out/shard2" --out "$out/m2"
expect_out "merge missing" "2 of 3 shards given" "$out/stderr"
expect_code 2 "merge with a shard twice" "$brokerlab" merge "$out/shard1" "$out/shard1" "$out/shard2" --out "$out/m3"
expect_out "merge twice" "given twice" "$out/stderr"
expect_code 2 "merge of a non-shard" "$brokerlab" merge "$out/j1" --out "$out/m4"
expect_code 2 "merge of nothing there" "$brokerlab" merge "$out/no-such-dir" --out "$out/m5"
expect_code 2 "sweep without --seeds" "$brokerlab" sweep "$c16"
expect_code 2 "sweep with a bad range" "$brokerlab" sweep "$c16" --seeds 5..1
expect_code 2 "sweep with a bad shard" "$brokerlab" sweep "$c16" --seeds 1..5 --shard 4/3
expect_code 2 "sweep of a missing file" "$brokerlab" sweep no/such.yaml --seeds 1..2

# Ctrl-C: the sweep stops, writes what finished, marked partial, and exits 130.
"$brokerlab" sweep scenarios/claims/c21-kafka-buffer-autocommit-loss.yaml --seeds 1..200 --jobs 1 \
  --out "$out/interrupted" >"$out/int.stdout" 2>"$out/int.stderr" &
pid=$!
# With --jobs 1, seed 2's log appears once seed 1's process has exited.
for _ in $(seq 1 600); do # a minute at most (a sanitizer build runs slowly)
  [ -f "$out/interrupted/seeds/2/run.log" ] && break
  sleep 0.1
done
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -eq 130 ] && ok || fail "interrupted sweep: exit $code, expected 130"
python3 - "$out/interrupted/sweep.json" <<'PY' && ok || fail "interrupted sweep.json is not marked partial"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["partial"] is True and 1 <= d["completed"] < 200, (d["partial"], d["completed"])
PY

# --keep-failing-history: only the failing seeds keep a history.
sed 's/always: duplicated <= 1500/always: duplicated <= 370/' "$c16" > "$out/c16-tight.yaml"
expect_code 1 "sweep with failing seeds" "$brokerlab" sweep "$out/c16-tight.yaml" --seeds 1..5 --keep-failing-history --out "$out/tight"
python3 - "$out/tight" <<'PY' && ok || fail "--keep-failing-history kept the wrong histories"
import json, os, sys
d = json.load(open(os.path.join(sys.argv[1], "sweep.json")))
for run in d["runs"]:
    has = os.path.exists(os.path.join(sys.argv[1], "seeds", str(run["seed"]), "history.blh"))
    assert has == (not run["held"]), run["seed"]
assert any(not r["held"] for r in d["runs"]) and any(r["held"] for r in d["runs"])
PY

# check: the claim scenarios hold over seeds; JUnit XML validates against the schema.
expect_code 0 "check claims" "$brokerlab" check scenarios/claims --seeds 1..2 --junit "$out/claims.xml" --out "$out/check"
[ "$(grep -c '^PASS ' "$out/stdout")" -eq "$(ls scenarios/claims/*.yaml | wc -l)" ] && ok || fail "check: not one PASS line per claim"
xmllint --noout --schema tests/junit/junit.xsd "$out/claims.xml" 2>"$out/xmllint" && ok || { fail "JUnit XML invalid"; cat "$out/xmllint"; }
# A failing `always` and a `sometimes` that never holds: exit 1, replay lines, JUnit failures.
mkdir -p "$out/failing"
sed 's/always: reordered > 0/always: reordered == 0/' scenarios/claims/c26-kafka-thread-pool-reorders.yaml > "$out/failing/c26-never-reorders.yaml"
sed 's/sometimes: duplicated > 0/sometimes: lost > 0/' "$c16" > "$out/failing/c16-sometimes-loses.yaml"
expect_code 1 "check with failures" "$brokerlab" check "$out/failing" "$c16" --seeds 1..2 --junit "$out/failing.xml" --out "$out/check2"
expect_out "check FAIL line" "^FAIL c26-kafka-thread-pool-reorders" "$out/stdout"
expect_out "check always failure" "always reordered == 0: failed on 2 of 2 seeds" "$out/stdout"
expect_out "check replay" "replay: brokerlab run $out/failing/c26-never-reorders.yaml --seed 1" "$out/stdout"
expect_out "check sometimes failure" "sometimes lost > 0: held on none of 2 seeds" "$out/stdout"
expect_out "check PASS line" "^PASS c16-kafka-kill9-duplicates" "$out/stdout"
expect_out "check faults bit" "held on none of 2 seeds; every fault bit on 2 of 2 seeds" "$out/stdout"
# A `sometimes` about a fault that never bit says so: with one replica, t/0 has no
# follower to crash.
cat > "$out/misses.yaml" <<'YAML'
name: fault-misses
duration: 5s
drain: 2s
cluster: { preset: kafka, brokers: 3 }
topics:
  - { name: t, partitions: 1 }
producers:
  - { name: p, topic: t, rate: 100/s }
consumers:
  - { group: g, topic: t, auto_offset_reset: earliest }
faults:
  - { at: 2s, crash: follower(t/0) }
expect:
  - sometimes: lost > 0
YAML
expect_code 1 "check of a fault that never bites" "$brokerlab" check "$out/misses.yaml" --seeds 1..2 --out "$out/check-misses"
expect_out "fault that never bit" "sometimes lost > 0: held on none of 2 seeds; no fault bit on any seed" "$out/stdout"
xmllint --noout --schema tests/junit/junit.xsd "$out/failing.xml" 2>"$out/xmllint" && ok || { fail "failing JUnit XML invalid"; cat "$out/xmllint"; }
[ "$(grep -c '<failure ' "$out/failing.xml")" -eq 2 ] && ok || fail "JUnit: expected 2 failures"
# No data is a failure, also through check.
expect_code 1 "check no-data" "$brokerlab" check tests/scenarios/no-data.yaml --out "$out/check3"
expect_out "check no data" "always idle.lost == 0: failed on 1 of 1 seeds (no data: nothing was produced to topic quiet of group idle)" "$out/stdout"
expect_code 2 "check of a missing path" "$brokerlab" check no/such/dir
expect_code 2 "check of an empty dir" "$brokerlab" check "$out/j1/seeds/1"
printf 'name: bad\nduration: 1s\nbogus: 1\n' > "$out/failing/zz-bad.yaml"
expect_code 2 "check with a bad scenario" "$brokerlab" check "$out/failing" --out "$out/check4"
expect_out "check bad scenario" "zz-bad.yaml:3:1" "$out/stderr"
[ ! -d "$out/check4" ] && ok || fail "check ran scenarios although one was invalid"
rm "$out/failing/zz-bad.yaml"

# --check-determinism through a sweep: a planted nondeterminism fails the seed, exit 3.
planted="$(dirname "$brokerlab")/brokerlab_planted"
expect_code 0 "sweep --check-determinism" "$brokerlab" sweep "$c16" --seeds 1..2 --check-determinism --out "$out/det" --quiet
expect_code 3 "planted nondeterminism in a sweep" "$planted" sweep "$c16" --seeds 1..2 --check-determinism --out "$out/planted"
expect_out "planted named" "seed 1 failed (exit 3): brokerlab: nondeterminism: history record [0-9]* differs" "$out/stdout"

# compare --vary: one column per value; unknown keys and bad values are errors.
expect_code 0 "compare --vary" "$brokerlab" compare "$c16" --vary producers.0.acks=0,1 --seeds 1..2 --out "$out/cmp"
expect_out "compare columns" "\[2\] producers.0.acks=1" "$out/stdout"
python3 - "$out/cmp/compare.json" <<'PY' && ok || fail "compare.json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert [c["label"] for c in d["columns"]] == ["producers.0.acks=0", "producers.0.acks=1"]
row = next(r for r in d["rows"] if r["metric"] == "totals.produced")
assert row["values"][1]["ratio"] == 1.0, row
PY
expect_code 2 "compare --vary unknown key" "$brokerlab" compare "$c16" --vary producers.0.akcs=0,1 --out "$out/cmp2"
expect_out "unknown key named" "akcs" "$out/stderr"
expect_code 2 "compare --vary bad value" "$brokerlab" compare "$c16" --vary producers.0.acks=0,7 --out "$out/cmp3"
expect_out "bad value located" "scenario.yaml:[0-9]*:[0-9]*: .*acks" "$out/stderr"
expect_code 2 "compare --vary index out of range" "$brokerlab" compare "$c16" --vary producers.5.acks=0 --out "$out/cmp4"
expect_out "index out of range" "producers has 1 entry, so index 5 does not exist" "$out/stderr"
expect_code 2 "compare one file" "$brokerlab" compare "$c16"
expect_code 0 "compare two files" "$brokerlab" compare "$c16" scenarios/claims/c21-kafka-buffer-autocommit-loss.yaml --seeds 1..2 --out "$out/cmp5" --format md
expect_out "compare md" "^| totals.produced |" "$out/stdout"

echo "sweep commands: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
