#!/usr/bin/env bash
# The JSON Schemas of docs/schemas/ against real outputs: results.json of the built-in
# default run and of a few varied scenarios (every fault kind, application requests,
# two groups with kills, expectations over no data; binary, JSONL and no history), then
# a results.json with one wrong type, which must be refused (the schema is strict); and
# the sweep.json, check.json and compare.json of real sweep, check and compare commands.
# Validation is jsonschema's Draft202012Validator with format checking (Debian's
# python3-jsonschema, installed by scripts/test.sh).
# To check another output, add a `validate SCHEMA FILE...` line at the end, or pass
# SCHEMA FILE pairs after OUT_DIR.
# Usage (from the source root): json_schemas.sh BROKERLAB OUT_DIR [SCHEMA FILE]...
set -euo pipefail
brokerlab=$1
out=$2
shift 2
python=/usr/bin/python3
[ -x "$python" ] || python=python3
schemas=docs/schemas
rm -rf "$out"
mkdir -p "$out"

# validate SCHEMA FILE...: every FILE must validate against SCHEMA.
validate() {
  "$python" - "$@" <<'PY'
import json, sys
try:
    from jsonschema import Draft202012Validator, FormatChecker
except ImportError:
    sys.exit("json-schemas: python3-jsonschema is not installed (scripts/test.sh installs it)")
schema_path, files = sys.argv[1], sys.argv[2:]
with open(schema_path) as f:
    schema = json.load(f)
Draft202012Validator.check_schema(schema)
checker = getattr(Draft202012Validator, "FORMAT_CHECKER", None) or FormatChecker()
validator = Draft202012Validator(schema, format_checker=checker)
failed = False
for path in files:
    with open(path) as f:
        document = json.load(f)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for error in errors[:5]:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        print(f"json-schemas: {path}: {where}: {error.message}", file=sys.stderr)
    failed |= bool(errors)
sys.exit(1 if failed else 0)
PY
}

# run NAME EXPECTED_EXIT ARGS...: one run into $out/NAME.
run() {
  local name=$1 want=$2
  shift 2
  local code=0
  "$brokerlab" run "$@" --out "$out/$name" >"$out/$name.stdout" 2>&1 || code=$?
  if [ "$code" -ne "$want" ]; then
    echo "json-schemas: run $* exited $code, expected $want" >&2
    cat "$out/$name.stdout" >&2
    exit 1
  fi
}

run default 0 --default
run every-fault 0 tests/scenarios/every-fault.yaml --history jsonl
run c01 0 scenarios/claims/c01-async-request-latency.yaml --history none
run c21 0 scenarios/claims/c21-kafka-buffer-autocommit-loss.yaml
run c29-dead-letter 0 scenarios/claims/c29-rabbitmq-ttl-dead-letter.yaml --history jsonl
run no-data 1 tests/scenarios/no-data.yaml # its expectations fail: no data
results=()
for name in default every-fault c01 c21 c29-dead-letter no-data; do results+=("$out/$name/results.json"); done
validate "$schemas/results.schema.json" "${results[@]}"

# Strict: a count written as a string, an unknown key and a fault without its effect's
# summary are each refused.
"$python" - "$out/every-fault/results.json" "$out" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
bad = [json.loads(json.dumps(results)) for _ in range(3)]
bad[0]["groups"]["billing"]["lost"] = "64"
bad[1]["faults"][0]["surprise"] = 1
del bad[2]["faults"][0]["effect"]["summary"]
for i, document in enumerate(bad):
    json.dump(document, open(f"{sys.argv[2]}/bad-{i}.json", "w"))
PY
for i in 0 1 2; do
  if validate "$schemas/results.schema.json" "$out/bad-$i.json" 2>/dev/null; then
    echo "json-schemas: $out/bad-$i.json (a wrong results.json) passed the schema" >&2
    exit 1
  fi
done

# sweep.json (a sweep, a shard, an interrupted-free failing sweep), check.json and
# compare.json of real commands.
c16=scenarios/claims/c16-kafka-kill9-duplicates.yaml
"$brokerlab" sweep "$c16" --seeds 1..3 --out "$out/sweep" --quiet
"$brokerlab" sweep "$c16" --seeds 1..3 --shard 2/2 --out "$out/shard" --quiet
"$brokerlab" sweep tests/scenarios/no-data.yaml --seeds 1..2 --out "$out/sweep-no-data" --quiet || [ $? -eq 1 ]
validate "$schemas/sweep.schema.json" "$out/sweep/sweep.json" "$out/shard/sweep.json" \
  "$out/sweep-no-data/sweep.json"
"$brokerlab" check "$c16" tests/scenarios/no-data.yaml --seeds 1..2 --out "$out/check" --quiet || [ $? -eq 1 ]
validate "$schemas/check.schema.json" "$out/check/check.json"
validate "$schemas/sweep.schema.json" "$out/check/no-data/sweep.json"
"$brokerlab" compare "$c16" --vary producers.0.acks=0,all --seeds 1..2 --out "$out/compare" --quiet
validate "$schemas/compare.schema.json" "$out/compare/compare.json"

# Outputs passed in: SCHEMA FILE pairs.
while [ $# -ge 2 ]; do
  validate "$1" "$2"
  shift 2
done
[ $# -eq 0 ] || { echo "json-schemas: extra arguments come in SCHEMA FILE pairs" >&2; exit 2; }
echo "json-schemas: ${#results[@]} results.json valid against $schemas/results.schema.json, 3 wrong ones refused;"
echo "  sweep.json, check.json and compare.json valid against their schemas"
