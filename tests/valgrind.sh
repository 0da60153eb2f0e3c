#!/usr/bin/env bash
# valgrind memcheck over a small scenario set (issue 16): a run with faults, power
# loss, replication and a group coordinator; an expectation that fails on no data; a
# platform file; the history read back; and a scenario that is refused. Each must end
# with its own exit code and valgrind must report no error and no leak (exit 99 is
# valgrind's, chosen not to collide with brokerlab's 0-3). SimGrid's stack switching
# makes valgrind warn about stacks; those warnings are not errors.
# Usage: valgrind.sh BROKERLAB OUT_DIR   (run from the source root)
set -euo pipefail
brokerlab=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
failed=0
memcheck() { # EXPECTED_EXIT NAME ARGS...
  local expected=$1 name=$2
  shift 2
  local code=0
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    "$brokerlab" "$@" >"$out/$name.out" 2>"$out/$name.err" || code=$?
  if [ "$code" -ne "$expected" ]; then
    echo "FAIL $name: exit $code, expected $expected"
    grep -v "^warning: client switching stacks\|^         to suppress\|^==[0-9]*== Warning: client switching\|^==[0-9]*==  *to suppress\|^==[0-9]*==  *further instances" "$out/$name.err" | head -40
    failed=$((failed + 1))
  else
    echo "ok   $name"
  fi
}
memcheck 0 replicated-faults run scenarios/claims/c23-kafka-zero-loss.yaml --out "$out/c23"
memcheck 0 coordinator-power-loss run tests/scenarios/coordinator-crash.yaml --out "$out/coord"
memcheck 1 no-data run tests/scenarios/no-data.yaml --out "$out/no-data"
memcheck 0 platform-file run tests/scenarios/platform-file-simgrid.yaml --out "$out/platform"
memcheck 0 quorum-queue run tests/scenarios/quorum-survives-rolling-kills.yaml --out "$out/quorum"
memcheck 0 history-read history "$out/c23"
memcheck 2 refused validate tests/bad_scenarios/nesting_too_deep.yaml
[ "$failed" -eq 0 ] || exit 1
echo "valgrind: 7 runs clean"
