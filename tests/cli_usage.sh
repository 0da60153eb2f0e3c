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
echo "cli usage: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
