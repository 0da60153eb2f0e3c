#!/usr/bin/env bash
# `brokerlab report` end to end: the HTML report of a run with a fault, rendered in
# headless Chromium, must show every plot (an inline SVG with drawn lines, one per plot)
# and log no console error (a page with a deliberate script error proves the check can
# fail); the Markdown report's PNGs must exist and be PNGs; sweep directories get their
# report too (one whose sweep.json is written here in the documented shape,
# independently of `brokerlab sweep`, and a real sweep), and so does `compare --format
# html`; reports are byte-identical when made twice; bad input exits 2 with a message.
# Usage (from the source root): report_render.sh BROKERLAB OUT_DIR
set -uo pipefail
brokerlab=$1
out=$2
passed=0
failed=0
ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL $*"; }
for tool in chromium gnuplot python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL: $tool is not installed: this test needs it (scripts/test.sh installs chromium;"
    echo "      scripts/setup.sh installs gnuplot-nox)"
    exit 1
  fi
done
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Renders a page: DOM to $2.dom, Chromium's log to $2.log (console messages are logged as
# "CONSOLE" lines), a full-page screenshot to $2.png.
render() { # file prefix
  timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$out/chromium-profile" \
    --enable-logging=stderr --v=0 --dump-dom "file://$1" >"$2.dom" 2>"$2.log" ||
    ko "chromium could not load $1 (exit $?)"
  timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$out/chromium-profile" \
    --hide-scrollbars --window-size=1280,5000 --screenshot="$2.png" "file://$1" >/dev/null 2>&1 ||
    ko "chromium could not screenshot $1"
}
console_errors() { grep -E 'CONSOLE' "$1.log"; }

# The console check must be able to fail: a page with a script error.
printf '<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>\n' >"$out/canary.html"
render "$out/canary.html" "$out/canary"
if console_errors "$out/canary" | grep -q "undefinedFunction"; then ok; else
  ko "a deliberate console error was not detected in Chromium's log:"; grep -v dbus "$out/canary.log"; fi

# Checks a rendered report: every expected figure holds an <svg> whose plotted series
# include a drawn path; no script, no external resource; optional texts present.
check_dom() { # dom-file page-file figure-ids... [-- texts...]
  python3 - "$@" <<'EOF'
import html.parser, re, sys
dom_file, page_file, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
figures = rest[:rest.index("--")] if "--" in rest else rest
texts = rest[rest.index("--") + 1:] if "--" in rest else []
# A series (gnuplot's <g id="...gnuplot_plot_N">) is drawn if it has a path of 3 or more
# points or 2 or more point marks (<use>): its legend sample alone is a 2-point path or 1 mark.
class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.figure = None; self.series_depth = 0; self.svgs = {}; self.lines = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and a.get("class") == "plot":
            self.figure = a.get("id"); self.svgs[self.figure] = 0; self.lines[self.figure] = 0
        elif self.figure and tag == "svg":
            self.svgs[self.figure] += 1
        elif self.figure and tag == "g":
            if self.series_depth == 0 and "gnuplot_plot_" in (a.get("id") or ""):
                self.series_depth = 1; self.longest = 0; self.marks = 0
            elif self.series_depth:
                self.series_depth += 1
        elif self.figure and self.series_depth and tag in ("path", "polyline"):
            drawn = a.get("d") or a.get("points") or ""
            self.longest = max(self.longest, len(re.findall(r"[-0-9.]+,[-0-9.]+", drawn)))
        elif self.figure and self.series_depth and tag == "use":
            self.marks += 1
    def handle_endtag(self, tag):
        if tag == "figure": self.figure = None
        elif tag == "g" and self.series_depth:
            self.series_depth -= 1
            if self.series_depth == 0 and (self.longest >= 3 or self.marks >= 2):
                self.lines[self.figure] += 1
page = Page()
dom = open(dom_file, encoding="utf-8").read()
page.feed(dom)
bad = 0
for figure in figures:
    if page.svgs.get(figure, 0) != 1 or page.lines.get(figure, 0) < 1:
        print(f"FAIL {dom_file}: figure {figure}: {page.svgs.get(figure, 0)} svg, "
              f"{page.lines.get(figure, 0)} drawn series paths"); bad += 1
extra = sorted(set(page.svgs) - set(figures))
if extra: print(f"FAIL {dom_file}: unexpected figures {extra}"); bad += 1
source = open(page_file, encoding="utf-8").read()
external = (r"<script", r"<link", r"<img", r"\ssrc=", r"href=[\"']?(https?:|//)", r"url\((?!#)",
            r"@import")
for pattern in external:
    if re.search(pattern, source, re.I):
        print(f"FAIL {page_file}: not self-contained ({pattern})"); bad += 1
for text in texts:
    if text not in dom: print(f"FAIL {dom_file}: no '{text}'"); bad += 1
sys.exit(1 if bad else 0)
EOF
}
check_screenshot() { # png
  python3 -c 'import sys; b = open(sys.argv[1], "rb").read()
sys.exit(0 if b[:8] == b"\x89PNG\r\n\x1a\n" and len(b) > 20000 else 1)' "$1" &&
    ok || ko "screenshot $1 missing or blank"
}
# Every PNG a Markdown report links exists and is a non-empty PNG; $2 of them.
check_markdown() { # md-file expected-plot-count
  python3 - "$1" "$2" <<'EOF'
import os, re, sys
md, want = sys.argv[1], int(sys.argv[2])
links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", open(md, encoding="utf-8").read())
bad = 0 if len(links) == want else 1
if bad: print(f"FAIL {md}: {len(links)} plots, expected {want}")
for link in links:
    path = os.path.join(os.path.dirname(md), link)
    data = open(path, "rb").read() if os.path.isfile(path) else b""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 2000:
        print(f"FAIL {md}: {link} is not a PNG ({len(data)} bytes)"); bad = 1
sys.exit(bad)
EOF
}
expect_code() { # code description command...
  local want=$1 what=$2
  shift 2
  "$@" >"$out/last.stdout" 2>"$out/last.stderr"
  local code=$?
  if [ "$code" -eq "$want" ]; then ok; else ko "$what: exit $code, expected $want"; cat "$out/last.stderr"; fi
}
expect_message() { # description pattern: the last command's stderr must match
  if grep -q -- "$2" "$out/last.stderr"; then ok; else ko "$1 message: $(cat "$out/last.stderr")"; fi
}

# 1. A run with a fault (kill -9 of a consumer): HTML, rendered.
run=$out/c16
expect_code 0 "run c16" "$brokerlab" run scenarios/claims/c16-kafka-kill9-duplicates.yaml --out "$run"
expect_code 0 "report html" "$brokerlab" report "$run"
grep -q "wrote $run/report.html" "$out/last.stdout" && ok || ko "report html: no 'wrote' line"
render "$run/report.html" "$out/c16-html"
if console_errors "$out/c16-html"; then ko "the run report logged console messages"; else ok; fi
texts=(-- "Summary" "c16-kafka-kill9-duplicates" "PASS" "Anomalies per consumer group" "Latency")
# Once results.json reports faults and durability settings (being added to the engine
# now), their sections and the shaded windows must show.
has_key() { # key results.json: whether it is there and not empty
  python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[2])).get(sys.argv[1]) else 1)' "$1" "$2"
}
has_key faults "$run/results.json" && texts+=("Fault timeline" "#0 kill9 consumer(ledger/0)")
has_key durability "$run/results.json" && texts+=("Durability settings")
check_dom "$out/c16-html.dom" "$run/report.html" plot-rates plot-backlog plot-latency "${texts[@]}" &&
  ok || ko "run report DOM"
check_screenshot "$out/c16-html.png"
cp "$run/report.html" "$out/c16-first.html"
expect_code 0 "report html again" "$brokerlab" report "$run"
cmp -s "$run/report.html" "$out/c16-first.html" && ok || ko "the HTML report differs when made twice"

# 2. The same run as Markdown with PNGs beside it, and with --out elsewhere.
expect_code 0 "report md" "$brokerlab" report "$run" --format md
check_markdown "$run/report.md" 3 && ok || ko "markdown report"
expect_code 0 "report md --out" "$brokerlab" report "$run" --format=md --out "$out/md-elsewhere/c16.md"
check_markdown "$out/md-elsewhere/c16.md" 3 && ok || ko "markdown report with --out"
[ -s "$out/md-elsewhere/c16-latency.png" ] && ok || ko "--out: PNG names follow the file name"
cmp -s "$run/report-latency.png" "$out/md-elsewhere/c16-latency.png" && ok || ko "PNGs differ between two reports"

# 3. Durability settings and faults as results.json reports them (sections being added to
#    the engine now): injected into a copy, so the rendering is tested either way.
injected=$out/injected
mkdir -p "$injected"
python3 - "$run/results.json" "$injected/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["durability"] = {"producers": {"gateway": {"acks": "all", "retries": "max", "idempotence": True}},
                   "topics": {"payments": {"replication_factor": 3, "min_insync_replicas": 2}},
                   "groups": {"ledger": {"commit": "auto", "commit_interval_s": 5.0}},
                   "brokers": {"cluster": {"flush": "os", "flush_interval_s": None}}}
r["faults"] = [{"index": 0, "kind": "kill9", "target": "consumer(ledger/0)", "at_s": 32.5,
                "until_s": 34.5, "nodes": ["consumer/ledger/0"],
                "effect": {"bit": True, "summary": "killed 1 consumer", "killed": 1}},
               {"index": 1, "kind": "crash", "target": "leader(payments/0)", "at_s": 150.0,
                "until_s": None, "nodes": [], "effect": {"bit": False, "summary": "led nothing"}}]
json.dump(r, open(sys.argv[2], "w"))
EOF
expect_code 0 "report with faults and durability" "$brokerlab" report "$injected"
render "$injected/report.html" "$out/injected-html"
if console_errors "$out/injected-html"; then ko "the injected report logged console messages"; else ok; fi
check_dom "$out/injected-html.dom" "$injected/report.html" plot-rates plot-backlog plot-latency -- \
  "Durability settings" "min_insync_replicas" "Fault timeline" "did not bite" "end of run" \
  "#0 kill9 consumer(ledger/0)" "#1 crash leader(payments/0) (did not bite)" && ok || ko "injected report DOM"

# 4. A sweep directory: seeds/<seed>/results.json of three runs and a sweep.json in the
#    shape `brokerlab sweep` writes (see the README), made from them.
sweep=$out/sweep
for seed in 1 2 3; do
  expect_code 0 "sweep run seed $seed" "$brokerlab" run --default --seed "$seed" --out "$sweep/seeds/$seed"
done
python3 - "$sweep" <<'EOF'
import json, math, os, statistics, sys
sweep = sys.argv[1]
seeds = [1, 2, 3]
results = {s: json.load(open(os.path.join(sweep, "seeds", str(s), "results.json"))) for s in seeds}
def metrics_of(r):
    m = {"totals.produced": r["totals"]["produced"]}
    for name, g in r["groups"].items():
        for key in ("lost", "unacked_lost", "duplicated", "reordered"):
            m[f"groups.{name}.{key}"] = g[key]
        for kind in ("ack", "e2e"):
            for p in ("p50", "p99", "max"):
                m[f"groups.{name}.latency.{kind}.{p}"] = g["latency"][kind][p]
    return m
runs = []
for s in seeds:
    r = results[s]
    held = all(e["held"] for e in r["expectations"])
    runs.append({"seed": s, "exit": 0 if held else 1, "held": held, "history_digest": r["history_digest"],
                 "metrics": metrics_of(r), "expectations": r["expectations"], "future_field": [1, 2]})
aggregates, anomalies = {}, {}
for key in runs[0]["metrics"]:
    values = [run["metrics"][key] for run in runs if run["metrics"][key] is not None]
    n = len(values)
    mean = statistics.mean(values) if n else None
    half = 4.303 * statistics.stdev(values) / math.sqrt(n) if n >= 2 else None
    aggregates[key] = {"unit": "s" if ".latency." in key else "count", "n": n, "no_data": len(runs) - n,
                       "mean": mean, "min": min(values) if n else None, "max": max(values) if n else None,
                       "ci95_low": mean - half if half is not None else None,
                       "ci95_high": mean + half if half is not None else None}
    if key.split(".")[-1] in ("lost", "unacked_lost", "duplicated", "reordered"):
        hit = [run["seed"] for run in runs if (run["metrics"][key] or 0) > 0]
        if hit:
            anomalies[key] = {"seeds": len(hit), "first_seed": hit[0],
                              "replay": f"brokerlab run --default --seed {hit[0]}"}
expectations = []
for i, e in enumerate(runs[0]["expectations"]):
    held = [run["seed"] for run in runs if run["expectations"][i]["held"]]
    failing = [run["seed"] for run in runs if not run["expectations"][i]["held"]]
    verdict = "held" if (len(failing) == 0 if e["kind"] == "always" else len(held) > 0) else "failed"
    expectations.append({"expr": e["expr"], "kind": e["kind"], "held_seeds": len(held),
                         "failed_seeds": len(failing), "no_data_seeds": 0,
                         "first_failing_seed": failing[0] if failing else None,
                         "replay": f"brokerlab run --default --seed {failing[0]}" if failing else None,
                         "verdict": verdict})
first = results[1]
json.dump({"brokerlab_sweep": 1, "version": first["version"], "git_commit": first["git_commit"],
           "simgrid_version": first["simgrid_version"], "scenario": first["scenario"],
           "scenario_path": first["scenario_path"], "scenario_sha256": "0" * 64,
           "seeds": {"first": 1, "last": 3, "count": 3}, "shard": None, "partial": False,
           "completed": 3, "runs": runs, "metrics": aggregates, "anomalies": anomalies,
           "expectations": expectations}, open(os.path.join(sweep, "sweep.json"), "w"), indent=1)
EOF
first_anomaly_seed() { # sweep.json: the seed the report looks into
  python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
seeds = [a["first_seed"] for a in s["anomalies"].values() if a.get("first_seed") is not None]
print(min(seeds) if seeds else s["runs"][0]["seed"])' "$1"
}
focus=$(first_anomaly_seed "$sweep/sweep.json")
expect_code 0 "sweep report html" "$brokerlab" report "$sweep"
render "$sweep/report.html" "$out/sweep-html"
if console_errors "$out/sweep-html"; then ko "the sweep report logged console messages"; else ok; fi
check_dom "$out/sweep-html.dom" "$sweep/report.html" plot-seeds-anomalies plot-seeds-e2e-p99 \
  "plot-seed$focus-rates" "plot-seed$focus-backlog" "plot-seed$focus-latency" -- \
  "brokerlab sweep report" "Expectations over the seeds" "Anomalies over the seeds" \
  "Metrics over the seeds" "95% CI" "brokerlab run --default --seed $focus" && ok || ko "sweep report DOM"
check_screenshot "$out/sweep-html.png"
expect_code 0 "sweep report md" "$brokerlab" report "$sweep" --format md
check_markdown "$sweep/report.md" 5 && ok || ko "sweep markdown report"
# The same from `brokerlab sweep` itself.
real=$out/real-sweep
expect_code 0 "brokerlab sweep" "$brokerlab" sweep scenarios/claims/c16-kafka-kill9-duplicates.yaml \
  --seeds 1..3 --jobs 1 --quiet --out "$real"
focus=$(first_anomaly_seed "$real/sweep.json")
expect_code 0 "report of a brokerlab sweep" "$brokerlab" report "$real"
render "$real/report.html" "$out/real-sweep-html"
if console_errors "$out/real-sweep-html"; then ko "the real sweep report logged console messages"; else ok; fi
texts=(-- "Seed $focus")
has_key faults "$real/seeds/$focus/results.json" && texts+=("Fault timeline (seed $focus)")
has_key durability "$real/seeds/$focus/results.json" && texts+=("Durability settings (seed $focus)")
check_dom "$out/real-sweep-html.dom" "$real/report.html" plot-seeds-anomalies plot-seeds-e2e-p99 \
  "plot-seed$focus-rates" "plot-seed$focus-backlog" "plot-seed$focus-latency" "${texts[@]}" &&
  ok || ko "real sweep report DOM"
# `brokerlab compare --format html`: designs side by side and overlay plots.
expect_code 0 "compare --format html" "$brokerlab" compare scenarios/claims/c16-kafka-kill9-duplicates.yaml \
  --vary producers.0.acks=0,all --seeds 1..2 --jobs 1 --quiet --format html --out "$out/compare"
render "$out/compare/compare.html" "$out/compare-html"
if console_errors "$out/compare-html"; then ko "the compare page logged console messages"; else ok; fi
check_dom "$out/compare-html.dom" "$out/compare/compare.html" plot-consumed plot-backlog plot-latency -- \
  "Comparison of 2 designs" "producers.0.acks=all" "Durability settings" "(×1.00)" &&
  ok || ko "compare page DOM"
# A sweep that kept no per-seed results: the report says so instead of plotting them.
mkdir -p "$out/sweep-bare"
cp "$sweep/sweep.json" "$out/sweep-bare/"
expect_code 0 "sweep report without seeds/" "$brokerlab" report "$out/sweep-bare"
grep -q "did not keep" "$out/sweep-bare/report.html" && ok || ko "sweep report without seeds/: no note"

# 5. Bad input: exit 2 and a message; --help exits 0.
expect_code 0 "report --help" "$brokerlab" report --help
grep -q "usage: brokerlab report" "$out/last.stdout" && ok || ko "report --help: no usage on stdout"
expect_code 2 "report without a directory" "$brokerlab" report
expect_message "report without a directory" "needs a run or sweep directory"
expect_code 2 "report of a missing directory" "$brokerlab" report "$out/no/such/dir"
expect_message "report of a missing directory" "cannot read $out/no/such/dir: No such file"
mkdir -p "$out/empty"
expect_code 2 "report of a directory without results" "$brokerlab" report "$out/empty"
expect_message "report of a directory without results" "neither results.json nor sweep.json"
expect_code 2 "report of a file" "$brokerlab" report "$run/results.json"
expect_message "report of a file" "is not a directory"
mkdir -p "$out/corrupt"
head -c 300 "$run/results.json" >"$out/corrupt/results.json"
expect_code 2 "report of a corrupt results.json" "$brokerlab" report "$out/corrupt"
expect_message "report of a corrupt results.json" "corrupt/results.json:[0-9]*:[0-9]*: not valid JSON"
mkdir -p "$out/foreign"
printf '{"name": "not ours", "groups": {}}\n' >"$out/foreign/results.json"
expect_code 2 "report of someone else's results.json" "$brokerlab" report "$out/foreign"
expect_message "report of someone else's results.json" "not a brokerlab results.json"
mkdir -p "$out/foreign-sweep"
printf '{"brokerlab_sweep": 7, "runs": []}\n' >"$out/foreign-sweep/sweep.json"
expect_code 2 "report of a sweep.json of another version" "$brokerlab" report "$out/foreign-sweep"
expect_message "report of a sweep.json of another version" "sweep.json format 7"
expect_code 2 "bad --format" "$brokerlab" report "$run" --format pdf
expect_message "bad --format" "--format pdf: expected html or md"
expect_code 2 "--format twice" "$brokerlab" report "$run" --format md --format=html
expect_message "--format twice" "--format given twice"
expect_code 2 "--format without a value" "$brokerlab" report "$run" --format
expect_code 2 "unknown option" "$brokerlab" report "$run" --pdf
expect_message "unknown option" "unknown option --pdf"
expect_code 2 "two directories" "$brokerlab" report "$run" "$sweep"
expect_code 2 "report without gnuplot" \
  env PATH=/nonexistent "$brokerlab" report "$run" --out "$out/nognuplot.html"
expect_message "report without gnuplot" "cannot run gnuplot"
[ ! -e "$out/nognuplot.html" ] && ok || ko "a failed report left a file behind"

echo "report render: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
