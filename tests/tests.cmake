# Test registration: every tests/test_*.c is a cmocka unit-test executable; scenario,
# determinism and error-path tests drive the brokerlab binary (tests/*.sh).
file(GLOB BL_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(test_source ${BL_UNIT_TESTS})
  get_filename_component(test_name ${test_source} NAME_WE)
  add_executable(${test_name} ${test_source})
  target_link_libraries(${test_name} PRIVATE bl_models bl_reports PkgConfig::CMOCKA)
  target_compile_definitions(${test_name} PRIVATE BL_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_test(NAME unit.${test_name} COMMAND ${test_name})
  set_tests_properties(unit.${test_name} PROPERTIES LABELS "unit")
endforeach()

if(EXISTS ${CMAKE_SOURCE_DIR}/tests/scenario_tests.cmake)
  include(${CMAKE_SOURCE_DIR}/tests/scenario_tests.cmake)
endif()

# The benchmark's engine probe (scripts/bench.sh); a tiny run keeps it building and working.
add_executable(engine_probe ${CMAKE_SOURCE_DIR}/tests/bench/engine_probe.c)
add_test(NAME bench.engine-probe COMMAND engine_probe 100000 8 60)
set_tests_properties(bench.engine-probe PROPERTIES LABELS "unit")
