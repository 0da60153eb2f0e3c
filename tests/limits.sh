#!/usr/bin/env bash
# Every limit of the engine's limits list (docs/scenario-format.md, "Limits"), at the
# limit and one past it: at the limit the input is taken (or, where no valid scenario
# can reach it, the limit's own check lets it by), one past it is refused with exit 2
# and a message naming the limit. The group-size limit is a run-time refusal, tested by
# tests/scenarios/group-past-max-size.yaml; parked fetches and network rules follow from
# other limits and are asserted at compile time.
# Usage: limits.sh BROKERLAB OUT_DIR   (run from the source root)
set -euo pipefail
brokerlab=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
passed=0 failed=0
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
# expect CODE NAME PATTERN COMMAND...: exit CODE and, unless PATTERN is empty, stderr
# matching it (grep -E); a PATTERN starting with ! must not match.
expect() {
  local code=$1 name=$2 pattern=$3
  shift 3
  local actual=0
  "$@" >"$out/stdout" 2>"$out/stderr" || actual=$?
  if [ "$actual" -ne "$code" ]; then
    fail "$name: exit $actual, expected $code: $(head -c 300 "$out/stderr")"
  elif [ -n "$pattern" ] && [ "${pattern:0:1}" = "!" ] && grep -qE -- "${pattern:1}" "$out/stderr"; then
    fail "$name: stderr matches '${pattern:1}': $(head -c 300 "$out/stderr")"
  elif [ -n "$pattern" ] && [ "${pattern:0:1}" != "!" ] && ! grep -qE -- "$pattern" "$out/stderr"; then
    fail "$name: stderr does not match '$pattern': $(head -c 300 "$out/stderr")"
  else
    passed=$((passed + 1))
  fi
}
minimal='name: limits
duration: 1s
cluster: { preset: kafka }
topics: [ { name: t } ]
'

# -- scenario file size: 4 MiB (4,194,304 bytes), padded with a comment
pad() { # SIZE FILE: the minimal scenario, then a comment line that makes it SIZE bytes
  printf '%s' "$minimal" >"$2"
  local left=$(($1 - $(wc -c <"$2") - 2))
  { printf '#'; head -c "$left" /dev/zero | tr '\0' 'x'; printf '\n'; } >>"$2"
  [ "$(wc -c <"$2")" -eq "$1" ]
}
pad 4194304 "$out/size-at.yaml"
pad 4194305 "$out/size-past.yaml"
expect 0 "file of 4 MiB" "" "$brokerlab" validate "$out/size-at.yaml"
expect 2 "file of 4 MiB + 1 byte" "larger than 4 MiB" "$brokerlab" validate "$out/size-past.yaml"

# -- nesting depth: 64 levels (the root mapping is the first); 64 passes the depth check
# (and fails on the key's type), 65 does not
nest() { # LEVELS_OF_SEQUENCES FILE
  printf '%sdescription: %s%s\n' "$minimal" "$(printf '[%.0s' $(seq "$1"))" \
    "$(printf ']%.0s' $(seq "$1"))" >"$2"
}
nest 63 "$out/depth-at.yaml"
nest 64 "$out/depth-past.yaml"
expect 2 "nesting 64 deep" "!nesting deeper" "$brokerlab" validate "$out/depth-at.yaml"
expect 2 "nesting 65 deep" "nesting deeper than 64 levels" "$brokerlab" validate "$out/depth-past.yaml"

# -- simulated processes: 2,048 (broker, controller, fault injector, 1,024 producer and
# 1,021 consumer instances), then one consumer more
processes() { # LAST_CONSUMER_COUNT FILE
  {
    printf 'name: processes\nduration: 1s\ncluster: { preset: kafka, brokers: 1 }\ntopics: [ { name: t } ]\nproducers:\n'
    for i in $(seq 0 15); do printf '  - { name: p%d, topic: t, rate: 1/s, count: 64 }\n' "$i"; done
    printf 'consumers:\n'
    for i in $(seq 0 14); do printf '  - { group: g%d, topic: t, count: 64 }\n' "$i"; done
    printf '  - { group: last, topic: t, count: %d }\n' "$1"
  } >"$2"
}
processes 61 "$out/processes-at.yaml"
processes 62 "$out/processes-past.yaml"
expect 0 "2048 processes run" "" "$brokerlab" run "$out/processes-at.yaml" --out "$out/run-processes" \
  --history none --quiet
expect 2 "2049 processes" "needs 2049 simulated processes.*at most 2048" \
  "$brokerlab" validate "$out/processes-past.yaml"

# -- history streams: 524,288, above what the format allows (one per consumer worker,
# two per producer instance): the format's maximum of workers runs to its end, and one
# worker past the per-entry range is refused
{
  printf 'name: streams\nduration: 1s\ncluster: { preset: kafka }\ntopics: [ { name: t } ]\n'
  printf 'producers:\n  - { name: p, topic: t, rate: 100/s, count: 64 }\nconsumers:\n'
  for i in $(seq 0 15); do printf '  - { group: g%d, topic: t, count: 64, workers: 256 }\n' "$i"; done
} >"$out/streams-at.yaml"
sed 's/workers: 256 }$/workers: 257 }/' "$out/streams-at.yaml" >"$out/streams-past.yaml"
expect 0 "262,144 consumer worker streams run" "" "$brokerlab" run "$out/streams-at.yaml" \
  --out "$out/run-streams" --history none --quiet
expect 2 "257 workers" "workers.*1\.\.256" "$brokerlab" validate "$out/streams-past.yaml"

# -- output directory: 511 characters
long_path() { # LENGTH: a path under $out of exactly LENGTH characters (components <= 200)
  local path="$out/p" length=$1
  while [ $((length - ${#path})) -gt 201 ]; do path="$path/$(head -c 200 /dev/zero | tr '\0' 'd')"; done
  path="$path/$(head -c $((length - ${#path} - 1)) /dev/zero | tr '\0' 'e')"
  [ ${#path} -eq "$length" ]
  echo "$path"
}
expect 0 "--out of 511 characters" "" "$brokerlab" run --default --out "$(long_path 511)" \
  --history none --quiet
expect 2 "--out of 512 characters" "--out: too long, expected a directory name of 1 to 511" \
  "$brokerlab" run --default --out "$(long_path 512)" --history none --quiet

# -- a platform file's path, as resolved: 511 characters
platform_at=$(long_path 511)
platform_past=$(long_path 512)
mkdir -p "$(dirname "$platform_at")" "$(dirname "$platform_past")"
cp tests/scenarios/two-racks.xml "$platform_at"
cp tests/scenarios/two-racks.xml "$platform_past"
platform() { # PATH FILE: platform-file-simgrid.yaml with its platform at PATH
  sed "s|platform: [^,}]*|platform: $1|" tests/scenarios/platform-file-simgrid.yaml >"$2"
  grep -q "platform: $1" "$2"
}
platform "$platform_at" "$out/platform-at.yaml"
platform "$platform_past" "$out/platform-past.yaml"
expect 0 "platform path of 511 characters" "" "$brokerlab" validate "$out/platform-at.yaml"
expect 2 "platform path of 512 characters" "platform: too long \\(512 characters\\), expected at most 511" \
  "$brokerlab" validate "$out/platform-past.yaml"

# -- memory: the estimate against --max-memory (default: the machine's memory)
expect 0 "within --max-memory" "" "$brokerlab" run --default --max-memory 64GiB --out "$out/run-memory" \
  --history none --quiet
expect 2 "above --max-memory" "^<default>:[0-9]+:[0-9]+: estimated peak memory .* above --max-memory 1.0 MiB" \
  "$brokerlab" run --default --max-memory 1MiB --out "$out/run-memory-refused" --history none --quiet
{
  printf '%s' "$minimal" | sed 's/^duration: 1s$/duration: 30d/'
  printf 'producers: [ { name: p, topic: t, rate: 1000000000/s, count: 64 } ]\n'
} >"$out/memory-huge.yaml"
expect 2 "30 days at 64e9/s against the machine" \
  "memory-huge.yaml:5:[0-9]+: estimated peak memory .* for 1\.7e17 messages, above --max-memory .* \(the machine's memory\)" \
  "$brokerlab" run "$out/memory-huge.yaml" --out "$out/run-huge" --history none --quiet
[ ! -e "$out/run-huge" ] || fail "a refused run created its directory"

echo "limits: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
