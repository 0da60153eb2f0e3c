#!/usr/bin/env bash
# bench.sh — the performance benchmark (not a timed test).
#
# Builds a Release (-O2) brokerlab in build-bench/, runs scenarios/bench/reference.yaml
# and a variant with every rate multiplied by 10, each with the default output (the
# binary history), and prints for each run: simulated messages, wall seconds, simulated
# messages per wall second, simulated/wall time ratio, events (node activations) per
# simulated second, wall µs per event, history records and batches, history bytes on
# disk and per message, and peak RSS; then the engine probe (a plain C heap replaying the
# same number of events among the same number of nodes: the physical limit of the event
# loop) measured in the same invocation, and the 10x/1x ratios that show how cost grows.
#
#   scripts/bench.sh           the full runs (1 h simulated each)
#   scripts/bench.sh --quick   the first 600 s only (spike, crash and kill moved inside)
#
# Needs bash, cmake, python3 (standard library only); peak RSS comes from GNU time at
# /usr/bin/time when it is installed, and is reported as n/a otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/bench.sh [--quick]"
  echo "  --quick   run only the first 600 s of simulated time (spike at 200 s for 100 s,"
  echo "            broker crash at 300 s, consumer kill -9 at 400 s)"
}

quick=false
case "${1:-}" in
  "") ;;
  --quick) quick=true ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
if [ $# -gt 1 ]; then usage >&2; exit 2; fi

reference=scenarios/bench/reference.yaml
binary=build-bench/brokerlab

echo "building a Release (-O2) brokerlab in build-bench/ ..."
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
cmake --build build-bench -j"$(nproc)" --target brokerlab engine_probe >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/brokerlab-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Writes the scenarios to run: base.yaml (the reference, or its first 600 s with
# --quick) and x10.yaml (the same with every rate times 10). Each edit must match
# exactly as often as expected, so a change to reference.yaml cannot silently turn
# the benchmark into something else.
python3 - "$reference" "$work" "$quick" <<'PY'
import re, sys

reference, work, quick = sys.argv[1], sys.argv[2], sys.argv[3] == "true"
text = open(reference, encoding="utf-8").read()

def edit(text, pattern, replacement, expected, what):
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if count != expected:
        sys.exit(f"bench.sh: {reference}: expected {expected} {what}, found {count}")
    return new

def rename(text, suffix):
    return edit(text, r"^name:\s*(\S+)\s*$", lambda m: f"name: {m.group(1)}{suffix}", 1, "name")

if quick:
    text = rename(text, "-quick")
    text = edit(text, r"^duration:\s*3600s\s*$", "duration: 600s", 1, "'duration: 3600s'")
    text = edit(text, r"\bat:\s*1200s,\s*for:\s*300s\b", "at: 200s, for: 100s", 1, "spike at 1200s for 300s")
    text = edit(text, r"\bat:\s*\d+s(,\s*crash:)", r"at: 300s\1", 1, "crash")
    text = edit(text, r"\bat:\s*\d+s(,\s*kill9:)", r"at: 400s\1", 1, "kill9")
open(f"{work}/base.yaml", "w", encoding="utf-8").write(text)

def times_ten(match):
    value = float(match.group(2)) * 10
    number = str(int(value)) if value == int(value) else repr(value)
    return f"{match.group(1)}{number}/{match.group(3)}"

rates = re.findall(r"\b(?:base|rate|to):\s*\d+(?:\.\d+)?/(?:s|ms|m|h)\b", text)
if len(rates) < 2:
    sys.exit(f"bench.sh: {reference}: expected a base rate and a spike rate, found {rates}")
x10 = edit(text, r"\b((?:base|rate|to):\s*)(\d+(?:\.\d+)?)/(s|ms|m|h)\b", times_ten, len(rates), "rates")
x10 = rename(x10, "-x10")
open(f"{work}/x10.yaml", "w", encoding="utf-8").write(x10)
PY
"$binary" validate "$work/base.yaml" "$work/x10.yaml" >/dev/null

if [ -x /usr/bin/time ]; then
  have_gnu_time=true
else
  have_gnu_time=false
  echo "(GNU time not found at /usr/bin/time: peak RSS will be n/a)"
fi

# run TAG: simulates $work/TAG.yaml into $work/TAG/, its summary in $work/TAG.log.
run() {
  local tag=$1
  echo "running $tag: $(grep -m1 -E '^name:' "$work/$tag.yaml" | sed 's/^name: *//') ..."
  local status=0
  if $have_gnu_time; then
    /usr/bin/time -v -o "$work/$tag.time" \
      "$binary" run "$work/$tag.yaml" --out "$work/$tag" >"$work/$tag.log" 2>&1 || status=$?
  else
    { time "$binary" run "$work/$tag.yaml" --out "$work/$tag" >"$work/$tag.log" 2>&1; } \
      2>"$work/$tag.time" || status=$?
  fi
  if [ "$status" -ne 0 ]; then
    echo "bench.sh: brokerlab exited with $status on $tag:" >&2
    cat "$work/$tag.log" >&2
    exit 1
  fi
  # Keep the history's size (also in results.json), free the disk.
  rm -f "$work/$tag"/history.*
  # The engine probe: the same events among the same nodes on a plain heap.
  python3 - "$work/$tag/results.json" >"$work/$tag.probe-args" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
print(r["events"], r["nodes"], r["sim_time_s"])
PY
  # shellcheck disable=SC2046
  build-bench/engine_probe $(cat "$work/$tag.probe-args") >"$work/$tag.probe"
}

run base
run x10

simgrid=$(pkg-config --modversion simgrid 2>/dev/null || echo "?")
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: *//' || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")

python3 - "$work" "$quick" "$simgrid" "${cpu:-?}" "$commit" <<'PY'
import json, re, sys

work, quick, simgrid, cpu, commit = sys.argv[1:6]

def figures(tag):
    r = json.load(open(f"{work}/{tag}/results.json", encoding="utf-8"))
    rss = None
    try:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                      open(f"{work}/{tag}.time", encoding="utf-8").read())
        rss = int(m.group(1)) / 1024 if m else None
    except OSError:
        pass
    sim, wall, events, msgs = r["sim_time_s"], r["wall_time_s"], r["events"], r["totals"]["produced"]
    probe_us = float(open(f"{work}/{tag}.probe", encoding="utf-8").read().split()[0])
    us_per_event = wall * 1e6 / events if events else float("nan")
    return {
        "scenario": r["scenario"],
        "msgs": msgs,
        "sim": sim,
        "wall": wall,
        "msgs_per_wall": msgs / wall,
        "ratio": sim / wall,
        "events": events,
        "events_per_sim": events / sim,
        "us_per_event": us_per_event,
        "us_per_msg": wall * 1e6 / msgs if msgs else float("nan"),
        "records": r["history_records"],
        "batches": r["history_batches"],
        "history_mib": r["history_bytes"] / 2**20,
        "history_b_per_msg": r["history_bytes"] / msgs if msgs else float("nan"),
        "rss": rss,
        "rss_b_per_msg": rss * 2**20 / msgs if rss is not None and msgs else None,
        "probe_us": probe_us,
        "probe_ratio": us_per_event / probe_us if probe_us > 0 else float("nan"),
    }

runs = [("1x", figures("base")), ("10x", figures("x10"))]
print()
print(f"brokerlab {commit}, SimGrid {simgrid}, {cpu}, "
      f"{'--quick: first 600 s' if quick == 'true' else 'full: 3600 s + 120 s drain'}")
rows = [
    ("scenario", lambda f: f["scenario"]),
    ("simulated time (s)", lambda f: f"{f['sim']:,.0f}"),
    ("simulated messages", lambda f: f"{f['msgs']:,}"),
    ("wall time (s)", lambda f: f"{f['wall']:,.2f}"),
    ("simulated msgs / wall s", lambda f: f"{f['msgs_per_wall']:,.0f}"),
    ("simulated / wall time", lambda f: f"{f['ratio']:,.0f}x"),
    ("wall us / message", lambda f: f"{f['us_per_msg']:.3f}"),
    ("events", lambda f: f"{f['events']:,}"),
    ("events / simulated s", lambda f: f"{f['events_per_sim']:,.0f}"),
    ("wall us / event", lambda f: f"{f['us_per_event']:.3f}"),
    ("engine probe us / event", lambda f: f"{f['probe_us']:.3f}"),
    ("run / probe per event", lambda f: f"{f['probe_ratio']:.1f}x"),
    ("history records", lambda f: f"{f['records']:,}"),
    ("history batches", lambda f: f"{f['batches']:,}"),
    ("history.blh (MiB)", lambda f: f"{f['history_mib']:,.1f}"),
    ("history bytes / message", lambda f: f"{f['history_b_per_msg']:.1f}"),
    ("peak RSS (MiB)", lambda f: "n/a" if f["rss"] is None else f"{f['rss']:,.0f}"),
    ("peak RSS bytes / message", lambda f: "n/a" if f["rss_b_per_msg"] is None else f"{f['rss_b_per_msg']:.1f}"),
]
width = max(len(name) for name, _ in rows)
cols = [max(len(label), *(len(get(f)) for _, get in rows)) for label, f in runs]
print(f"{'':{width}}  " + "  ".join(f"{label:>{c}}" for (label, _), c in zip(runs, cols)))
for name, get in rows:
    print(f"{name:{width}}  " + "  ".join(f"{get(f):>{c}}" for (_, f), c in zip(runs, cols)))

one, ten = runs[0][1], runs[1][1]
print()
print("10x / 1x:")
print(f"  messages          {ten['msgs'] / one['msgs']:6.2f}")
print(f"  events            {ten['events'] / one['events']:6.2f}")
print(f"  wall time         {ten['wall'] / one['wall']:6.2f}")
print(f"  wall per message  {(ten['wall'] / ten['msgs']) / (one['wall'] / one['msgs']):6.2f}"
      "   (1.00 = cost grows linearly with messages)")
if one["rss"] is not None and ten["rss"] is not None:
    print(f"  peak RSS          {ten['rss'] / one['rss']:6.2f}")
PY
