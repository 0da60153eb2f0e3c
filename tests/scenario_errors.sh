#!/usr/bin/env bash
# Every file of tests/bad_scenarios (the loader's errors, also read by
# test_scenario_errors.c) and of tests/bad_validation (what only the full validation
# finds: expectations, the engine's limits) fails `brokerlab validate` and `brokerlab
# run` with exit code 2 and exactly the message on its first line (`# error: MESSAGE`).
# Usage (from the source root): scenario_errors.sh BROKERLAB
set -uo pipefail
brokerlab=$1
passed=0
failed=0
for file in tests/bad_scenarios/*.yaml tests/bad_validation/*.yaml; do
  expected=$(head -n 1 "$file" | sed -n 's/^# error: //p')
  for command in validate run; do
    actual=$("$brokerlab" $command "$file" 2>&1 >/dev/null)
    code=$?
    if [ "$code" -eq 2 ] && [ "$actual" = "$expected" ]; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      echo "FAIL $command $file (exit $code)"
      echo "  expected: $expected"
      echo "  actual:   $actual"
    fi
  done
done
echo "scenario errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
