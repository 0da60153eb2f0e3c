#!/usr/bin/env bash
# The CLI's own contract: --help everywhere exits 0; usage errors and missing files exit
# 2 with a message; a failed expectation exits 1 and prints the replay command.
# Usage (from the source root): cli_usage.sh BROKERLAB OUT_DIR
set -uo pipefail
brokerlab=$1
out=$2
passed=0
failed=0
expect_code() { # expected-code description command...
  local want=$1 what=$2
  shift 2
  "$@" >"$out.stdout" 2>"$out.stderr"
  local code=$?
  if [ "$code" -eq "$want" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $what: exit $code, expected $want"; cat "$out.stderr"; fi
}
mkdir -p "$(dirname "$out")"
expect_code 0 "--help" "$brokerlab" --help
expect_code 0 "run --help" "$brokerlab" run --help
expect_code 0 "validate --help" "$brokerlab" validate --help
expect_code 2 "no command" "$brokerlab"
expect_code 2 "unknown command" "$brokerlab" frobnicate
expect_code 2 "run without scenario" "$brokerlab" run
expect_code 2 "bad seed" "$brokerlab" run --default --seed minus-one
expect_code 2 "unknown option" "$brokerlab" run --default --turbo
expect_code 2 "missing file" "$brokerlab" run no/such/scenario.yaml
grep -q "no/such/scenario.yaml: cannot open" "$out.stderr" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL missing file message"; }
expect_code 0 "validate claims" "$brokerlab" validate scenarios/claims/*.yaml scenarios/bench/reference.yaml
# A failing expectation: the C26 load claims zero reorders, which its thread pool breaks.
sed 's/always: reordered > 0/always: reordered == 0/' scenarios/claims/c26-kafka-thread-pool-reorders.yaml > "$out.c26.yaml"
expect_code 1 "failed expectation" "$brokerlab" run "$out.c26.yaml" --out "$out.c26"
grep -q "brokerlab run $out.c26.yaml --seed 1" "$out.stdout" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL replay line missing"; }
expect_message() { # description pattern: the last command's stderr must match
  grep -q -- "$2" "$out.stderr" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL $1 message: $(cat "$out.stderr")"; }
}
# --history and the history command: bad values and bad files exit 2 and say why.
expect_code 0 "history --help" "$brokerlab" history --help
expect_code 2 "bad --history" "$brokerlab" run --default --history xml
expect_code 2 "history without a path" "$brokerlab" history
expect_code 2 "history of a missing run" "$brokerlab" history no/such/run
expect_message "history of a missing run" "cannot read no/such/run: No such file"
printf 'not a history' > "$out.notzstd.blh"
expect_code 2 "history of a non-zstd file" "$brokerlab" history "$out.notzstd.blh"
expect_message "history of a non-zstd file" "not a readable zstd stream"
printf 'JUNKJUNKJUNK' | zstd -q -c > "$out.notblh.blh"
expect_code 2 "history of another zstd file" "$brokerlab" history "$out.notblh.blh"
expect_message "history of another zstd file" "is not a brokerlab history"
# A real history cut short, and one with a flipped byte inside the stream.
zstd -q -dc "$out.c26/history.blh" > "$out.raw"
head -c 5000 "$out.raw" | zstd -q -c > "$out.truncated.blh"
expect_code 2 "history cut short" "$brokerlab" history "$out.truncated.blh"
expect_message "history cut short" "corrupt history at byte [0-9]*.*truncated"
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[9]=0x7f; open(sys.argv[2],"wb").write(b)' "$out.raw" "$out.flipped"
zstd -q -c "$out.flipped" > "$out.flipped.blh"
expect_code 2 "history with a bad byte" "$brokerlab" history "$out.flipped.blh"
expect_message "history with a bad byte" "corrupt history at byte"
expect_code 0 "history of a run" "$brokerlab" history "$out.c26"
[ "$(wc -l < "$out.stdout")" -eq "$(sed -n 's/.*"history_records": \([0-9]*\).*/\1/p' "$out.c26/results.json")" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL history line count"; }
# A platform file that does not parse, and one without a host for every node: exit 2,
# the scenario's position of network.platform, SimGrid's reason; no history left behind.
mkdir -p "$out.platform"
printf '<?xml version="1.0"?>\n<platform version="4.1">\n<zone id="z" routing="Full">\n<host id="a"\n' > "$out.platform/broken.xml"
sed 's/two-racks.xml/broken.xml/' tests/scenarios/platform-file.yaml > "$out.platform/broken.yaml"
expect_code 2 "platform file that does not parse" "$brokerlab" run "$out.platform/broken.yaml" --out "$out.platform/broken"
expect_message "platform file that does not parse" "broken.yaml:12:24: cluster.network.platform: Parse error at"
[ ! -e "$out.platform/broken/history.blh" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL history left by a failed platform"; }
grep -v 'consumer/sink/0' tests/scenarios/two-racks.xml > "$out.platform/no-consumer.xml"
sed 's/two-racks.xml/no-consumer.xml/' tests/scenarios/platform-file.yaml > "$out.platform/no-consumer.yaml"
expect_code 2 "platform file without a node's host" "$brokerlab" run "$out.platform/no-consumer.yaml" --out "$out.platform/no-consumer"
expect_message "platform file without a node's host" "has no host named 'consumer/sink/0'"
# A platform file and a controller in broker 0's process: it sits on broker/0's host
# (no host of its own needed, no route between the two).
sed 's/^cluster:$/cluster:\n  controller: broker(0)/' tests/scenarios/platform-file.yaml > "$out.platform/combined.yaml"
cp tests/scenarios/two-racks.xml "$out.platform/"
expect_code 0 "platform file with a combined controller" "$brokerlab" run "$out.platform/combined.yaml" --out "$out.platform/combined" --history none
# A history file on a full device (a link to /dev/full): the writer thread's failure is
# reported, exit 2, and no results.json claims a history that is not there.
if [ -w /dev/full ]; then
  rm -rf "$out.full" && mkdir -p "$out.full"
  for format in binary jsonl; do
    file=history.blh; [ "$format" = jsonl ] && file=history.jsonl
    ln -sf /dev/full "$out.full/$file.tmp" # the history is written there, then renamed
    expect_code 2 "history on a full disk ($format)" "$brokerlab" run scenarios/claims/c26-kafka-thread-pool-reorders.yaml --out "$out.full" --history "$format"
    expect_message "history on a full disk ($format)" "cannot write $out.full/$file: No space left on device"
    [ ! -e "$out.full/results.json" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL results.json beside a failed history"; }
  done
fi
# A poll larger than one history batch record (HIST_BATCH_MAX ids): all of its 100,000
# deliveries are recorded, at one instant, and the JSONL shows them.
expect_code 0 "poll of 100,000 records" "$brokerlab" run tests/scenarios/big-poll.yaml --out "$out.big-poll"
largest=$("$brokerlab" history "$out.big-poll" | python3 -c '
import collections, json, sys
polls = collections.Counter()
for line in sys.stdin:
    record = json.loads(line)
    if record["f"] == "deliver": polls[record["t"]] += 1
print(max(polls.values()))')
[ "$largest" = 100000 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL largest poll $largest, expected 100000"; }
# No data is not 0: expectations over metrics without samples fail, saying why, and
# results.json has null for them (a backlog that never drained: drained false).
expect_code 1 "expectations without data" "$brokerlab" run tests/scenarios/no-data.yaml --out "$out.no-data"
[ "$(grep -c "FAIL  always .* no data: " "$out.stdout")" = 4 ] && grep -q "PASS  always     idle.consumed == 0" "$out.stdout" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL no-data summary"; cat "$out.stdout"; }
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
slow, idle = r["groups"]["slow"], r["groups"]["idle"]
assert slow["drain_s"] is None and slow["drained"] is False, slow
assert idle["latency"]["e2e"]["p99"] is None and idle["latency"]["e2e"]["count"] == 0, idle
reasons = [e["no_data"] for e in r["expectations"]]
assert reasons[0] == "nothing was produced to topic quiet of group idle" and reasons[3] is None, reasons
' "$out.no-data/results.json" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL no-data results.json"; }
# Everyday conventions: version, help, --option=value, an option given twice.
expect_code 0 "--version" "$brokerlab" --version
grep -q "^brokerlab [0-9.]* (commit [0-9a-z]*, SimGrid [0-9.]*)$" "$out.stdout" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL --version output"; cat "$out.stdout"; }
expect_code 0 "help run" "$brokerlab" help run
grep -q "^usage: brokerlab run" "$out.stdout" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL help run output"; }
expect_code 2 "help of an unknown command" "$brokerlab" help frobnicate
expect_code 2 "--seed twice" "$brokerlab" run --default --seed 3 --seed=4
expect_code 2 "--strict twice" "$brokerlab" validate --strict --strict tests/scenarios/no-data.yaml
expect_code 0 "--seed=N --out=DIR" "$brokerlab" run --default --seed=3 --out="$out.eq" --history=none
expect_code 0 "--seed N --out DIR" "$brokerlab" run --default --seed 3 --out "$out.sp" --history none
digest() { sed -n 's/.*"history_digest": "\([0-9a-f]*\)".*/\1/p' "$1/results.json"; }
[ -n "$(digest "$out.eq")" ] && [ "$(digest "$out.eq")" = "$(digest "$out.sp")" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL --seed=3 differs from --seed 3"; }
grep -q '"simgrid_version": "[0-9.]*"' "$out.eq/results.json" && grep -q '"version": "[0-9.]*"' "$out.eq/results.json" && [ ! -e "$out.eq/results.json.tmp" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL results.json versions or a temporary file left"; }
# A node fault (slow_disk, disk_full, stall) that starts also stops: the history closes
# each window (link faults close with heal or drain, process faults with restart).
expect_code 0 "every fault" "$brokerlab" run tests/scenarios/every-fault.yaml --out "$out.faults" --history jsonl
python3 -c '
import collections, json, sys
windows = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["f"] == "fault" and r["kind"] in ("slow_disk", "disk_full", "stall"):
        windows[(r["kind"], r["target"])] += 1 if r["phase"] == "start" else -1
assert windows and all(v == 0 for v in windows.values()), windows
' "$out.faults/history.jsonl" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL a fault without its stop record"; }
# An expectation over a time metric prints its values as durations, as a scenario writes them.
expect_code 0 "c16 claim" "$brokerlab" run scenarios/claims/c16-kafka-kill9-duplicates.yaml --out "$out.c16" --history none
grep -q "latency.e2e.max >= 40s  observed [0-9.]*s against 40s$" "$out.stdout" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL durations in the expectation lines"; grep observed "$out.stdout"; }
# The time series covers every simulated second (duration 120 s + drain 60 s), quiet ones too.
python3 -c '
import json, sys
for name, group in json.load(open(sys.argv[1]))["groups"].items():
    assert group["timeseries"]["t_s"] == list(range(180)), (name, len(group["timeseries"]["t_s"]))
' "$out.c16/results.json" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL the time series does not cover the run"; }
# --check-determinism: the same seed twice in separate processes, histories compared;
# a build with the wall clock planted in the consumer must fail with exit 3 naming the
# first differing record.
expect_code 0 "check-determinism" "$brokerlab" run scenarios/claims/c16-kafka-kill9-duplicates.yaml --check-determinism --out "$out.det" --history none
grep -q "^deterministic: seed 1 run twice in separate processes, [0-9]* history records identical$" "$out.stdout" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL check-determinism output"; cat "$out.stdout"; }
planted="$(dirname "$brokerlab")/brokerlab_planted"
expect_code 3 "planted nondeterminism" "$planted" run scenarios/claims/c16-kafka-kill9-duplicates.yaml --check-determinism --out "$out.planted"
grep -q "^brokerlab: nondeterminism: history record [0-9]* differs$" "$out.stderr" && grep -q '^  first run:  {"t":' "$out.stderr" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL planted nondeterminism not named"; cat "$out.stderr"; }
# Counts print as integers in the expectation lines (2000000, not 2e+06).
sed 's/always: lost == 0/always: lost < 2000000/' scenarios/claims/c26-kafka-thread-pool-reorders.yaml > "$out.counts.yaml"
expect_code 0 "a count bound of two million" "$brokerlab" run "$out.counts.yaml" --out "$out.counts" --history none
grep -q "lost < 2000000  *observed 0 against 2000000$" "$out.stdout" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL counts in expectation lines: $(grep against "$out.stdout")"; }
# The engine's node limit: a scenario at it runs; one past it is refused by validation
# (tests/bad_validation/too_many_nodes.yaml), never an internal error (defect 7).
expect_code 0 "2048 simulated processes" "$brokerlab" run tests/scenarios/node-limit.yaml --out "$out.node-limit" --history none
# Nothing recorded after the run's end (issue 16 defect 8): a 30-day processing time in a
# 2 s run leaves no record past 2 s, a 2-second time series and no message consumed.
expect_code 0 "processing past the end" "$brokerlab" run tests/scenarios/processing-past-end.yaml --out "$out.past-end" --history jsonl
if python3 - "$out.past-end" <<'PY'
import json, sys
d = sys.argv[1]
late = [l for l in open(d + "/history.jsonl") if json.loads(l)["t"] > 2000000]
assert not late, late[:2]
g = json.load(open(d + "/results.json"))["groups"]["g"]
assert g["consumed"] == 0 and len(g["timeseries"]["t_s"]) == 2, (g["consumed"], len(g["timeseries"]["t_s"]))
PY
then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL records after the run's end"; fi
# Preferred-leader rebalance (auto.leader.rebalance.enable): the leaderships a broker
# lost come back 300 s after the imbalance appeared, and only with the knob on.
sed 's/brokers: 3 }/brokers: 3, auto_leader_rebalance: false }/' tests/scenarios/preferred-leader.yaml > "$out.no-rebalance.yaml"
expect_code 0 "preferred leader" "$brokerlab" run tests/scenarios/preferred-leader.yaml --out "$out.rebalance" --history none
expect_code 0 "no rebalance" "$brokerlab" run "$out.no-rebalance.yaml" --out "$out.no-rebalance" --history none
if python3 - "$out.rebalance/results.json" "$out.no-rebalance/results.json" <<'PY'
import json, sys
led = lambda path: [f["effect"]["partitions_led"] for f in json.load(open(path))["faults"]]
assert led(sys.argv[1]) == [2, 0, 2], led(sys.argv[1])
assert led(sys.argv[2]) == [2, 0, 0], led(sys.argv[2])
PY
then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL preferred-leader rebalance"; fi
# Bad output paths and endless input (issue 16 defects 9, 14, 15): exit 2, a message.
expect_code 2 "--out empty" "$brokerlab" run --default --out ""
expect_message "--out empty" "--out: empty"
expect_code 2 "--out too long" "$brokerlab" run --default --out "$out/$(printf 'd%.0s' $(seq 1 616))"
expect_message "--out too long" "--out: too long, expected a directory name of 1 to 511 characters"
expect_code 2 "validate /dev/zero" timeout 20 "$brokerlab" validate /dev/zero
expect_message "validate /dev/zero" "/dev/zero: larger than 4 MiB"
# Ctrl-C (defect 12): exit 130, a line saying where it stopped, the previous outputs whole.
"$brokerlab" run scenarios/bench/reference.yaml --out "$out.int" --history none >/dev/null 2>&1
before=$(md5sum < "$out.int/results.json")
"$brokerlab" run scenarios/bench/reference.yaml --out "$out.int" >"$out.stdout" 2>"$out.stderr" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -eq 130 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL interrupted run: exit $code, expected 130"; }
expect_message "interrupted run" "^brokerlab: interrupted at simulated time [0-9.]*s; nothing written"
[ "$(md5sum < "$out.int/results.json")" = "$before" ] && [ -z "$(ls "$out.int" | grep -v '^results.json$')" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL an interrupted run changed its directory: $(ls "$out.int")"; }
# kill -9 mid-run (defect 13): the previous run's results.json and history stay as they
# were, and the results.json still describes the history beside it (its hash).
rm -rf "$out.kill" && mkdir -p "$out.kill"
"$brokerlab" run scenarios/claims/c26-kafka-thread-pool-reorders.yaml --out "$out.kill" --history jsonl >/dev/null 2>&1
before=$(md5sum "$out.kill/results.json" "$out.kill/history.jsonl")
"$brokerlab" run scenarios/bench/reference.yaml --out "$out.kill" --history jsonl >/dev/null 2>&1 &
pid=$!
sleep 1
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
[ "$(md5sum "$out.kill/results.json" "$out.kill/history.jsonl")" = "$before" ] &&
  grep -q "\"history_sha256\": \"$(sha256sum < "$out.kill/history.jsonl" | cut -c1-64)\"" "$out.kill/results.json" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL kill -9 mid-run changed the previous outputs"; }
# An output directory that cannot be created (its parent is a file; as root, permissions
# would not stop it): exit 2, the path and the reason, nothing written elsewhere.
: >"$out.not-a-dir"
expect_code 2 "unwritable output directory" "$brokerlab" run --default --out "$out.not-a-dir/run" --history none
expect_message "unwritable output directory" "cannot create $out.not-a-dir/run: Not a directory"
echo "cli usage: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
