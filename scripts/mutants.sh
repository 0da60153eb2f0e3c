#!/usr/bin/env bash
# Mutant brokers (issue 16): builds brokerlab once per deliberate mechanism bug
# (-DBROKERLAB_MUTANT=NAME, the code under `#ifdef BROKERLAB_MUTANT_NAME`) and runs the
# claim scenarios and the scenario tests (each with its own seed) until one fails: an
# expectation (exit 1), an invariant (exit 3) or a hang (no end within 300 s). The
# scenario expected to catch a mutant runs first, then the others. A mutant that
# survives them all is a mechanism no scenario pins down: the script names it and fails;
# the fix is a scenario that catches it, not deleting the mutant.
# Usage: scripts/mutants.sh [NAME...]   (default: every mutant below)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install_packages.sh ninja-build

# NAME  the scenario expected to catch it  the bug it plants
mutants=(
  ACK_BEFORE_APPEND           c01-async-request-latency  "the leader acknowledges a produce and never appends it"
  ACKS_ALL_LEADER_ONLY        c23-kafka-zero-loss        "acks=all answered once the leader alone has the records"
  NO_MIN_INSYNC               c23-kafka-zero-loss        "min.insync.replicas not enforced: append, HW, answer"
  DELIVER_ABOVE_HW            c15-kafka-high-watermark   "consumers fetch above the high watermark"
  HW_IGNORES_FOLLOWERS        c15-kafka-high-watermark   "the high watermark follows the leader's log end alone"
  NO_ISR_SHRINK               isr-min-insync-1           "a follower that stopped fetching stays in the ISR"
  HW_TRUNCATION_WITH_EPOCHS   leader-epochs-double-failure "leader-epoch truncation skipped: a new follower cuts to its HW"
  UNCLEAN_ALWAYS              clean-election-only        "an out-of-sync replica may lead whatever the topic says"
  SESSION_NEVER_EXPIRES       c14-kafka-leader-election  "the controller never fences a silent broker"
  NO_POSITION_VALIDATION      leader-epochs-double-failure "consumers skip KIP-320 validation after a leader change"
  COORDINATOR_FORGETS_OFFSETS coordinator-crash          "a new group coordinator does not replay __consumer_offsets"
  COMMIT_BEFORE_PROCESSING    c21-kafka-buffer-autocommit-loss "commit-after-processing commits what was polled"
  DEDUP_KEEPS_CUT_SHORT       dedup-kill-mid-processing   "the idempotent consumer keeps the id of a record a kill cut short"
  POLL_TIMEOUT_IGNORED        max-poll-interval-exceeded "a member whose poll is late stays in its group"
  COMMIT_NOT_AWAITED          at-most-once-coordinator-cut "before_processing processes without waiting for its commit"
  REBALANCE_NOT_AWAITING_MEMBERS rebalance-eager         "an EAGER rebalance completes without waiting for the members to rejoin"
  ELR_NEVER_ELECTED           eligible-leader-replicas   "an eligible leader replica is never elected"
  LOG_RECOVERY_FREE           log-recovery-big-segment   "a restarted broker recovers its logs in no time"
  ROLL_NOT_FLUSHED            log-recovery-rolled-segment "a segment roll flushes nothing, so recovery re-reads the whole log"
  THREAD_POOL_IN_ORDER        c26-kafka-thread-pool-reorders "a consumer's worker pool runs its records one after another"
  NO_PRODUCER_RETRY           c23-kafka-zero-loss        "a retriable produce error ends the batch"
  IDEMPOTENT_WINDOW_OFF_BY_ONE isr-min-insync-1          "the leader checks a retry against 4 of the 5 batches it keeps"
  KEY_IGNORED                 c13-kafka-no-replication-unavailable  "keyed records are placed as keyless ones"
  FAKE_FSYNC                  fsync-every-message        "an fsync is reported done and writes nothing"
  WRITEBACK_PER_CHUNK         writeback-whole-file       "the flusher ages each append, not the file"
  LOG_DIR_FAILURE_RETRIABLE   disk-full-halts-broker     "a full disk refuses writes and the broker runs on"
  POWER_LOSS_KEEPS_PAGE_CACHE c23-without-replication    "a power loss keeps the page cache"
  CUT_IGNORED                 isr-min-insync-2           "a network partition cuts nothing"
  SPIKES_IGNORED              c02-peak-shaving           "a producer's rate spikes are not applied"
  NO_REQUEUE_ON_CLOSE         c20-rabbitmq-consumer-acks "a closed channel's unacknowledged messages are dropped, not requeued"
  CONFIRM_BEFORE_WRITE        c18-rabbitmq-publisher-throughput "a classic queue confirms a persistent message before writing it"
  PREFETCH_IGNORED            c20-rabbitmq-consumer-acks "a queue delivers past its consumers' prefetch"
  TTL_IGNORED                 c29-rabbitmq-ttl-drops-backlog "a queue's messages never expire"
  ALARM_LOCAL_ONLY            disk-alarm-cluster-wide    "a disk alarm blocks only its own node's publishers"
  QQ_NO_DEDUP                 c12-rabbitmq-quorum-failover "a quorum queue enqueues a channel's resends again"
  VOTE_IGNORES_LOG            quorum-stale-member-not-elected "a quorum queue's member votes for any log"
)

# Every mutant in the sources is in the list, and every listed one is in the sources.
in_sources=$(grep -rhoE 'BROKERLAB_MUTANT_[A-Z0-9_]+' engine models | sed 's/BROKERLAB_MUTANT_//' | sort -u)
listed=$(for ((i = 0; i < ${#mutants[@]}; i += 3)); do echo "${mutants[i]}"; done | sort -u)
if [ "$in_sources" != "$listed" ]; then
  echo "mutants.sh: the list and the sources disagree:" >&2
  diff <(echo "$listed") <(echo "$in_sources") >&2 || true
  exit 2
fi

selected=("$@")
build=build-mutant
out=$build/mutant-runs
scenarios=()
for file in scenarios/claims/*.yaml tests/scenarios/*.yaml; do
  # no-data.yaml fails on purpose (an expectation never passes on no data)
  [ "$(basename "$file")" = no-data.yaml ] || scenarios+=("$file")
done

build_with() { # MUTANT ("" for none)
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBROKERLAB_MUTANT="$1" >/dev/null
  if ! cmake --build "$build" --target brokerlab >"$build/build.log" 2>&1; then
    echo "mutants.sh: the build with BROKERLAB_MUTANT=$1 failed:" >&2
    tail -20 "$build/build.log" >&2
    exit 2
  fi
}

run_one() { # SCENARIO_FILE; prints the exit code (124: no end within 300 s)
  local name code=0
  name=$(basename "$1" .yaml)
  timeout 300 "$build/brokerlab" run "$1" --out "$out/$name" --history none --quiet \
    >"$out/$name.log" 2>&1 || code=$?
  echo "$code"
}

rm -rf "$out"
mkdir -p "$out"
start_s=$SECONDS
build_with ""
for file in "${scenarios[@]}"; do
  code=$(run_one "$file")
  if [ "$code" -ne 0 ]; then
    echo "mutants.sh: the unmutated build fails $file (exit $code); see $out" >&2
    exit 2
  fi
done
echo "baseline: ${#scenarios[@]} scenarios hold ($((SECONDS - start_s)) s)"

survivors=()
count=0
for ((i = 0; i < ${#mutants[@]}; i += 3)); do
  name=${mutants[i]} hint=${mutants[i + 1]} what=${mutants[i + 2]}
  if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " =~ " $name " ]]; then continue; fi
  count=$((count + 1))
  mutant_start_s=$SECONDS
  build_with "$name"
  killer="" how=""
  for file in $(printf '%s\n' "${scenarios[@]}" | grep "/$hint.yaml\$") $(printf '%s\n' "${scenarios[@]}" | grep -v "/$hint.yaml\$"); do
    code=$(run_one "$file")
    case $code in
      0) continue ;;
      1) how=expectation ;;
      3) how=invariant ;;
      124) how="hang (300 s)" ;;
      *) echo "mutants.sh: $name: $file exited $code; see $out" >&2; exit 2 ;;
    esac
    killer=$(basename "$file" .yaml)
    break
  done
  if [ -z "$killer" ]; then
    survivors+=("$name")
    printf 'SURVIVED %-28s %s\n' "$name" "$what"
  else
    printf 'killed   %-28s by %s (%s, %d s)\n' "$name" "$killer" "$how" $((SECONDS - mutant_start_s))
  fi
done
build_with "" # leave the build unmutated
echo "mutants: $count run, $((count - ${#survivors[@]})) killed, ${#survivors[@]} survived ($((SECONDS - start_s)) s)"
if [ ${#survivors[@]} -gt 0 ]; then
  echo "mutants.sh: no scenario catches ${survivors[*]}: a gap in the claims" >&2
  exit 1
fi
