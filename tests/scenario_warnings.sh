#!/usr/bin/env bash
# Every file of tests/lint is a valid scenario that cannot measure what it asks, or whose
# values the run cuts short: `validate` accepts it (exit 0) and prints exactly the
# warnings its first lines state (`# warning: MESSAGE`), in order; `validate --strict`
# and `run --strict` refuse it with exit 2. The claim scenarios have no warning.
# Usage (from the source root): scenario_warnings.sh BROKERLAB
set -uo pipefail
brokerlab=$1
passed=0
failed=0
check() { # description condition...
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $what"; fi
}
for file in tests/lint/*.yaml; do
  expected=$(sed -n 's/^# warning: //p' "$file")
  actual=$("$brokerlab" validate "$file" 2>&1 >/dev/null)
  code=$?
  check "validate $file exits 0 (got $code)" [ "$code" -eq 0 ]
  check "validate $file warnings" [ "$actual" = "$expected" ]
  [ "$actual" = "$expected" ] || printf '  expected:\n%s\n  actual:\n%s\n' "$expected" "$actual"
  "$brokerlab" validate --strict "$file" >/dev/null 2>&1
  code=$?
  check "validate --strict $file exits 2 (got $code)" [ "$code" -eq 2 ]
  "$brokerlab" run --strict "$file" --out "${TMPDIR:-/tmp}/brokerlab-lint" >/dev/null 2>&1
  code=$?
  check "run --strict $file exits 2 (got $code)" [ "$code" -eq 2 ]
done
warnings=$("$brokerlab" validate --strict scenarios/claims/*.yaml 2>&1 >/dev/null)
check "the claims have no warning: $warnings" [ -z "$warnings" ]
echo "scenario warnings: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
