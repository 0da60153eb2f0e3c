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
