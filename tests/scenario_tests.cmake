# Scenario-level tests driving the brokerlab binary: every claim scenario must pass its
# expectations; runs are deterministic; bad input fails with the documented message and
# exit code 2; the CLI's usage errors exit 2.
file(GLOB BL_CLAIM_SCENARIOS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scenarios/claims/*.yaml)
foreach(scenario ${BL_CLAIM_SCENARIOS})
  get_filename_component(scenario_name ${scenario} NAME_WE)
  add_test(NAME claim.${scenario_name}
           COMMAND $<TARGET_FILE:brokerlab> run ${scenario} --out ${CMAKE_BINARY_DIR}/test-out/${scenario_name})
  set_tests_properties(claim.${scenario_name} PROPERTIES LABELS "scenario")
endforeach()


# Claims that need several designs side by side (brokerlab compare), one script each.
add_test(NAME claim.c31-scale-out
         COMMAND ${CMAKE_SOURCE_DIR}/tests/claims/c31_scale_out.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/c31-scale-out
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(claim.c31-scale-out PROPERTIES LABELS "scenario")

add_test(NAME cli.default-run
         COMMAND $<TARGET_FILE:brokerlab> run --default --out ${CMAKE_BINARY_DIR}/test-out/default)
set_tests_properties(cli.default-run PROPERTIES LABELS "scenario")

add_test(NAME cli.determinism
         COMMAND ${CMAKE_SOURCE_DIR}/tests/determinism.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/determinism)
set_tests_properties(cli.determinism PROPERTIES LABELS "scenario")

add_test(NAME cli.scenario-errors
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scenario_errors.sh $<TARGET_FILE:brokerlab>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli.scenario-errors PROPERTIES LABELS "scenario")

add_test(NAME cli.usage
         COMMAND ${CMAKE_SOURCE_DIR}/tests/cli_usage.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/usage
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli.usage PROPERTIES LABELS "scenario")

# Every fault kind once: the injector, network rules and disk faults under test.
add_test(NAME scenario.every-fault
         COMMAND $<TARGET_FILE:brokerlab> run ${CMAKE_SOURCE_DIR}/tests/scenarios/every-fault.yaml
                 --out ${CMAKE_BINARY_DIR}/test-out/every-fault)
set_tests_properties(scenario.every-fault PROPERTIES LABELS "scenario")

# Replication: acks=all against min.insync.replicas while a follower is cut off (with
# idempotence, and its twin without it, whose retries duplicate and reorder), a
# follower dying while the KRaft controller is down, the group coordinator losing power,
# KIP-101's double failure with and without leader epochs, an election with no
# in-sync replica left, unclean or not, a controller in a broker's process, and a
# consumer whose polls outlive max.poll.interval.ms (and its twin whose polls fit), and
# the at-most-once pattern (commitSync before processing) under a coordinator cut that
# outlasts the session, and under kill -9; a full disk halting its broker; the flusher
# writing a log file back whole; an EAGER rebalance stalling the whole group and its
# COOPERATIVE twin stalling only the moving partitions; Eligible Leader Replicas
# electing a follower after the last ISR member died, and its twin without ELR; log
# recovery after a kill -9 re-reading a never-flushed segment, and a rolled one; the
# coordinator's power loss with one replica of __consumer_offsets, and with three.
foreach(scenario_name isr-min-insync-1 idempotence-off-retries isr-min-insync-2 controller-crash coordinator-crash
        leader-epochs-double-failure leader-epochs-off-double-failure unclean-election
        clean-election-only combined-controller max-poll-interval-exceeded max-poll-records-fits
        at-most-once-coordinator-cut at-most-once-kill disk-full-halts-broker
        writeback-whole-file rebalance-eager rebalance-cooperative eligible-leader-replicas
        eligible-leader-replicas-off log-recovery-big-segment log-recovery-rolled-segment
        offsets-rf1-power-loss offsets-rf3-power-loss mirror-unsynced-promotion
        mirror-promote-when-synced max-length-overflow disk-alarm-cluster-wide
        quorum-minority-leader quorum-survives-rolling-kills quorum-delivery-limit
        quorum-stale-member-not-elected
        partition-ignore-split-brain
        partition-pause-minority)
  add_test(NAME scenario.${scenario_name}
           COMMAND sh -c "\"$1\" check \"$2\" --seeds 1..5 --jobs 1 --quiet --out \"$3\""
                   sh $<TARGET_FILE:brokerlab> ${CMAKE_SOURCE_DIR}/tests/scenarios/${scenario_name}.yaml
                   ${CMAKE_BINARY_DIR}/test-out/${scenario_name})
  set_tests_properties(scenario.${scenario_name} PROPERTIES LABELS "scenario")
endforeach()

# Power loss of a replica that fsyncs every message: nothing acknowledged is lost (the
# scenario that catches the FAKE_FSYNC mutant, scripts/mutants.sh).
add_test(NAME scenario.fsync-every-message
         COMMAND $<TARGET_FILE:brokerlab> run ${CMAKE_SOURCE_DIR}/tests/scenarios/fsync-every-message.yaml
                 --out ${CMAKE_BINARY_DIR}/test-out/fsync-every-message)
set_tests_properties(scenario.fsync-every-message PROPERTIES LABELS "scenario")

# The idempotent consumer killed mid-processing: the interrupted record is applied when
# it comes again, the others are skipped (the DEDUP_KEEPS_CUT_SHORT mutant's scenario).
add_test(NAME scenario.dedup-kill-mid-processing
         COMMAND $<TARGET_FILE:brokerlab> run ${CMAKE_SOURCE_DIR}/tests/scenarios/dedup-kill-mid-processing.yaml
                 --out ${CMAKE_BINARY_DIR}/test-out/dedup-kill-mid-processing)
set_tests_properties(scenario.dedup-kill-mid-processing PROPERTIES LABELS "scenario")

# Every engine limit at the limit and one past it (docs/scenario-format.md, Limits).
add_test(NAME cli.limits
         COMMAND ${CMAKE_SOURCE_DIR}/tests/limits.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/limits
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli.limits PROPERTIES LABELS "scenario")

# A run without network latency whose consumer never waits (issue 16, defect 5): it ends.
add_test(NAME scenario.zero-latency
         COMMAND $<TARGET_FILE:brokerlab> run ${CMAKE_SOURCE_DIR}/tests/scenarios/zero-latency.yaml
                 --out ${CMAKE_BINARY_DIR}/test-out/zero-latency)
set_tests_properties(scenario.zero-latency PROPERTIES LABELS "scenario" TIMEOUT 120)

# Ten simulated days, idle after the first second (issue 16, defect 6): the run ends.
add_test(NAME scenario.idle-ten-days
         COMMAND $<TARGET_FILE:brokerlab> run ${CMAKE_SOURCE_DIR}/tests/long/idle-ten-days.yaml
                 --out ${CMAKE_BINARY_DIR}/test-out/idle-ten-days --history none)
set_tests_properties(scenario.idle-ten-days PROPERTIES LABELS "scenario" TIMEOUT 600)

# network.model: simgrid against the engine's own model, on a load that needs link sharing.
add_test(NAME scenario.network-models
         COMMAND ${CMAKE_SOURCE_DIR}/tests/network_models.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/network-models
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(scenario.network-models PROPERTIES LABELS "scenario")

# network.platform: a SimGrid platform file instead of the star, in both network models.
foreach(scenario_name platform-file platform-file-simgrid)
  add_test(NAME scenario.${scenario_name}
           COMMAND $<TARGET_FILE:brokerlab> run ${CMAKE_SOURCE_DIR}/tests/scenarios/${scenario_name}.yaml
                   --out ${CMAKE_BINARY_DIR}/test-out/${scenario_name})
  set_tests_properties(scenario.${scenario_name} PROPERTIES LABELS "scenario")
endforeach()

# Behaviour snapshot: history digests and results of every scenario (tests/golden/).
add_test(NAME scenario.golden-digests
         COMMAND ${CMAKE_SOURCE_DIR}/tests/golden_digests.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/golden
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(scenario.golden-digests PROPERTIES LABELS "scenario")

# Warnings about what a valid scenario cannot measure, and --strict.
add_test(NAME cli.scenario-warnings
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scenario_warnings.sh $<TARGET_FILE:brokerlab>
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli.scenario-warnings PROPERTIES LABELS "scenario")

# sweep, merge, check and compare (tests/sweep_commands.sh).
add_test(NAME cli.sweep-commands
         COMMAND ${CMAKE_SOURCE_DIR}/tests/sweep_commands.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/sweep-commands
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli.sweep-commands PROPERTIES LABELS "scenario")

# The claim suite as CI runs it: `check` over a seed range, so `always` holds on every
# seed and `sometimes` on one at least, with its JUnit XML validated.
add_test(NAME claims.check-seeds
         COMMAND sh -c "\"$1\" check scenarios/claims --seeds 1..10 --jobs 2 --quiet --junit \"$2/claims.xml\" --out \"$2\" && xmllint --noout --schema tests/junit/junit.xsd \"$2/claims.xml\""
                 sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/claims-check
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(claims.check-seeds PROPERTIES LABELS "scenario")

# The same workload and faults on two families (scenarios/compare/): the pair differs
# in its preset line, its name and the pointer to its twin only (asserted), each holds its expectations over seeds 1..3, and
# `compare` puts them side by side.
add_test(NAME compare.families-one-line
         COMMAND sh -c "test \"$(diff scenarios/compare/cluster-restart-kafka.yaml scenarios/compare/cluster-restart-rabbitmq.yaml | grep -c '^[<>]')\" = 6 && \"$1\" check scenarios/compare --seeds 1..3 --jobs 2 --quiet --out \"$2/check\" && \"$1\" compare scenarios/compare/cluster-restart-kafka.yaml scenarios/compare/cluster-restart-rabbitmq.yaml --seeds 1..2 --jobs 2 --quiet --out \"$2/compare\""
                 sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/compare-families
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(compare.families-one-line PROPERTIES LABELS "scenario")

# `brokerlab report`: HTML rendered in headless Chromium (every plot drawn, no console
# error), Markdown with its PNGs, a sweep directory's report, and the error paths.
add_test(NAME cli.report-render
         COMMAND ${CMAKE_SOURCE_DIR}/tests/report_render.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/report-render
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli.report-render PROPERTIES LABELS "scenario")

# results.json against docs/schemas/results.schema.json, on real runs (tests/json_schemas.sh).
add_test(NAME cli.json-schemas
         COMMAND ${CMAKE_SOURCE_DIR}/tests/json_schemas.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/json-schemas
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(cli.json-schemas PROPERTIES LABELS "scenario")

# A network fault's history target is written whole, whatever the node count.
add_test(NAME scenario.long-fault-target
         COMMAND ${CMAKE_SOURCE_DIR}/tests/long_fault_target.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/long-fault-target
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(scenario.long-fault-target PROPERTIES LABELS "scenario")

# Every claim scenario, its own seed run twice more in separate processes: the two
# histories must be identical (check --check-determinism exits 3 naming the record).
add_test(NAME claims.check-determinism
         COMMAND $<TARGET_FILE:brokerlab> check scenarios/claims --check-determinism --jobs 2 --quiet
                 --out ${CMAKE_BINARY_DIR}/test-out/claims-determinism
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(claims.check-determinism PROPERTIES LABELS "scenario")

# valgrind memcheck over a small scenario set (issue 16); not in the sanitizer build,
# whose shadow memory valgrind cannot run.
find_program(BL_VALGRIND valgrind)
if(BL_VALGRIND AND NOT BL_SANITIZE)
  add_test(NAME memcheck.valgrind
           COMMAND ${CMAKE_SOURCE_DIR}/tests/valgrind.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/valgrind
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(memcheck.valgrind PROPERTIES LABELS "scenario")
endif()

# delivery.timeout.ms bounds every send, a batch whose retry is in flight included.
add_test(NAME scenario.delivery-timeout-in-flight
         COMMAND ${CMAKE_SOURCE_DIR}/tests/delivery_timeout.sh $<TARGET_FILE:brokerlab> ${CMAKE_BINARY_DIR}/test-out/delivery-timeout
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(scenario.delivery-timeout-in-flight PROPERTIES LABELS "scenario")
