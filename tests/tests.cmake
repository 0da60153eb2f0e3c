# Test registration: every tests/<folder>/test_*.c is a cmocka unit-test executable that
# links only its folder's library, so a test that reaches into a layer it should not
# know fails to link: tests/engine/ the engine, tests/reports/ the checker and reports
# (on the engine), tests/common/ what every family shares (on the engine),
# tests/kafka/ the Kafka family (on models/common and the engine); tests/rabbitmq/ the
# RabbitMQ family (likewise);
# tests/test_*.c load scenarios with every family's schema and link the run's assembly.
# Scenario, determinism and error-path tests drive the brokerlab binary (tests/*.sh).
function(bl_unit_tests pattern libraries)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${pattern})
  foreach(test_source ${sources})
    get_filename_component(test_name ${test_source} NAME_WE)
    add_executable(${test_name} ${test_source})
    target_link_libraries(${test_name} PRIVATE ${libraries} PkgConfig::CMOCKA)
    target_compile_definitions(${test_name} PRIVATE BL_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    add_test(NAME unit.${test_name} COMMAND ${test_name})
    set_tests_properties(unit.${test_name} PROPERTIES LABELS "unit")
  endforeach()
endfunction()

bl_unit_tests("tests/engine/test_*.c" bl_engine)
bl_unit_tests("tests/reports/test_*.c" bl_reports)
bl_unit_tests("tests/common/test_*.c" bl_common)
bl_unit_tests("tests/kafka/test_*.c" bl_kafka)
bl_unit_tests("tests/rabbitmq/test_*.c" bl_rabbitmq)
bl_unit_tests("tests/test_*.c" "bl_models;bl_reports")

if(EXISTS ${CMAKE_SOURCE_DIR}/tests/scenario_tests.cmake)
  include(${CMAKE_SOURCE_DIR}/tests/scenario_tests.cmake)
endif()

# The benchmark's engine probe (scripts/bench.sh); a tiny run keeps it building and working.
add_executable(engine_probe ${CMAKE_SOURCE_DIR}/tests/bench/engine_probe.c)
add_test(NAME bench.engine-probe COMMAND engine_probe 100000 8 60)
set_tests_properties(bench.engine-probe PROPERTIES LABELS "unit")

# A brokerlab with a planted nondeterminism (the wall clock leaks into the consumer's
# processing start times): run --check-determinism must catch it and name the record.
add_library(bl_kafka_planted STATIC ${BL_KAFKA_SOURCES})
target_compile_definitions(bl_kafka_planted PRIVATE BL_PLANT_NONDETERMINISM)
target_link_libraries(bl_kafka_planted PUBLIC bl_common)
add_library(bl_models_planted STATIC ${BL_MODELS_SOURCES})
target_link_libraries(bl_models_planted PUBLIC bl_kafka_planted bl_rabbitmq)
add_executable(brokerlab_planted ${BL_CLI_SOURCES})
target_link_libraries(brokerlab_planted PRIVATE bl_models_planted bl_reports)

# The libFuzzer harnesses and the replay of their corpora (issue 16).
include(${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz.cmake)
