# tests/fuzz/fuzz.cmake — the libFuzzer harnesses (issue 16): fuzz_scenario (the
# scenario loader and validator) and fuzz_history_line (the history readers).
#
# Every build links each harness with replay_main.c into <harness>_replay, and ctest
# replays through it the crash-regression corpus tests/corpus/<harness minus fuzz_>/ and
# the seed corpora: fuzz.corpus-scenario and fuzz.corpus-history-line. With BL_FUZZ=ON
# (clang for C and C++, as scripts/fuzz.sh configures build-fuzz) every target is also
# compiled with coverage instrumentation and ASan+UBSan, and the libFuzzer executables
# fuzz_scenario and fuzz_history_line are built; scripts/fuzz.sh runs them.
option(BL_FUZZ "Build the libFuzzer executables (clang, ASan+UBSan, instrumented)" OFF)

set(BL_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)

if(BL_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "BL_FUZZ needs clang: configure with CC=clang CXX=clang++ (scripts/fuzz.sh)")
  endif()
  set(BL_FUZZ_COMPILE_OPTIONS -fsanitize=fuzzer-no-link,address,undefined
      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  set(BL_FUZZ_LINK_OPTIONS -fsanitize=address,undefined)
  # Globally: for the targets defined after this file, and for those defined before it
  # (add_compile_options only reaches targets created after it).
  add_compile_options(${BL_FUZZ_COMPILE_OPTIONS})
  add_link_options(${BL_FUZZ_LINK_OPTIONS})
  get_property(bl_fuzz_targets DIRECTORY ${CMAKE_SOURCE_DIR} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target ${bl_fuzz_targets})
    get_target_property(type ${target} TYPE)
    if(type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
      target_compile_options(${target} PRIVATE ${BL_FUZZ_COMPILE_OPTIONS})
    endif()
    if(type MATCHES "^(SHARED_LIBRARY|EXECUTABLE)$")
      target_link_options(${target} PRIVATE ${BL_FUZZ_LINK_OPTIONS})
    endif()
  endforeach()
endif()

# A harness: its replay executable always, its libFuzzer executable with BL_FUZZ.
function(bl_fuzz_harness name libraries)
  add_executable(${name}_replay ${BL_FUZZ_DIR}/${name}.c ${BL_FUZZ_DIR}/replay_main.c)
  target_link_libraries(${name}_replay PRIVATE ${libraries})
  if(BL_FUZZ)
    add_executable(${name} ${BL_FUZZ_DIR}/${name}.c)
    target_link_libraries(${name} PRIVATE ${libraries})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()

bl_fuzz_harness(fuzz_scenario "bl_models;bl_reports")
bl_fuzz_harness(fuzz_history_line bl_engine)

# The seed corpora are replayed too (scripts/fuzz.sh seeds the fuzzers with the same).
set(BL_FUZZ_SCENARIO_SEEDS scenarios tests/scenarios tests/bad_scenarios tests/bad_validation
    tests/lint)
list(TRANSFORM BL_FUZZ_SCENARIO_SEEDS PREPEND ${CMAKE_SOURCE_DIR}/)
add_test(NAME fuzz.corpus-scenario
         COMMAND fuzz_scenario_replay ${CMAKE_SOURCE_DIR}/tests/corpus/scenario
                 ${BL_FUZZ_SCENARIO_SEEDS})
add_test(NAME fuzz.corpus-history-line
         COMMAND fuzz_history_line_replay ${CMAKE_SOURCE_DIR}/tests/corpus/history_line)
set_tests_properties(fuzz.corpus-scenario fuzz.corpus-history-line PROPERTIES LABELS "fuzz")
