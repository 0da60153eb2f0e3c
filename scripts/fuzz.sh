#!/usr/bin/env bash
# Runs each libFuzzer harness of tests/fuzz/ for SECONDS_PER_TARGET seconds (default 60,
# what CI runs): builds build-fuzz with clang (-DBL_FUZZ=ON: ASan+UBSan, coverage),
# fuzzes from a working corpus under build-fuzz/corpus/<target>/ seeded with the seed
# corpora and tests/corpus/<target>/, and prints each target's executions. A crash, leak,
# timeout or OOM is copied into tests/corpus/<target>/ and the script exits 1 naming the
# file to commit (with the fix: ctest replays it, fuzz.corpus-* tests).
#   usage: scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2; exit 2; }

# clang, then the libFuzzer runtime of its version (Debian: libclang-rt-N-dev; before
# clang 14 it came with libclang-common-N-dev).
./scripts/install_packages.sh clang
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$probe/p.c"
if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null; then
  major="$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)"
  ./scripts/install_packages.sh "libclang-rt-$major-dev" ||
    ./scripts/install_packages.sh "libclang-common-$major-dev"
fi

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBL_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_scenario fuzz_history_line

export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
found=()   # reproducers copied into tests/corpus/
failed=()  # a fuzzer that stopped with an error
summary=() # a line per target
# Fuzzes target $1 from its corpus folder $2 (build-fuzz/corpus/$2, then tests/corpus/$2
# and the seed folders $4...) with dictionary $3. libFuzzer runs one job in-process; its
# output goes to build-fuzz/<target>.log, the start, progress and errors to stdout.
fuzz() {
  local target="$1" corpus="$2" dict="$3"
  shift 3
  local work="build-fuzz/corpus/$corpus" artifacts="build-fuzz/artifacts/$corpus"
  local log="build-fuzz/$target.log"
  rm -rf "$artifacts"
  mkdir -p "$work" "$artifacts"
  set +e
  "build-fuzz/$target" -max_total_time="$seconds" -dict="$dict" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" "tests/corpus/$corpus" "$@" 2>&1 | tee "$log" |
    grep --line-buffered -E '^(INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|pulse|DONE)|Done|==[0-9]+==|SUMMARY)'
  local rc="${PIPESTATUS[0]}"
  set -e
  local runs
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  summary+=("$target: ${runs:-?} executions, ${seconds}s asked (exit $rc, log $log)")
  for artifact in "$artifacts"/*; do
    [ -f "$artifact" ] || continue
    local base kept="" existing
    for existing in "tests/corpus/$corpus"/*; do # a known reproducer, not fixed yet
      if cmp -s "$artifact" "$existing"; then kept="$existing (known, still failing)"; fi
    done
    if [ -z "$kept" ]; then
      base="$(basename "$artifact")" # crash-<sha1>, leak-, timeout-, oom-, slow-unit-
      kept="tests/corpus/$corpus/${base%-*}-$(date +%Y%m%d)-$(echo "${base##*-}" | cut -c1-12)"
      cp "$artifact" "$kept"
    fi
    found+=("$kept")
  done
  if [ "$rc" -ne 0 ]; then failed+=("$target (exit $rc, see $log)"); fi
}

fuzz fuzz_scenario scenario tests/fuzz/scenario.dict \
  scenarios tests/scenarios tests/bad_scenarios tests/bad_validation tests/lint
fuzz fuzz_history_line history_line tests/fuzz/history_line.dict

printf '%s\n' "${summary[@]}"
if [ ${#found[@]} -gt 0 ]; then
  echo "fuzz: crashes found; commit each new reproducer with its fix (ctest replays it):" >&2
  printf '  %s\n' "${found[@]}" >&2
fi
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
[ ${#found[@]} -eq 0 ] || exit 1
echo "fuzz: no crash"
