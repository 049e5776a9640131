# ctest bench_configures_without_tests: bench must not depend on tests/ (docs/testing.md,
# "Shared helpers"). Fails when a file under bench/ includes a header from tests/, or when the
# tree configured with -DGRYADKA_BUILD_TESTS=OFF (in a fresh dir, removed afterwards) has no
# gryadka-bench / gryadka_micro_bench target or builds anything from tests/.
# Usage: cmake -DSOURCE_DIR=... -DWORK_DIR=... -P tests_off_check.cmake (needs ninja, as the
# whole build does)
# Cost: one CMake configure, about 10 s of wall time (1.5 s of CPU); nothing is compiled.
foreach(var SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "tests_off_check.cmake: -D${var}=... is required")
  endif()
endforeach()

file(GLOB_RECURSE bench_sources ${SOURCE_DIR}/bench/*.cc ${SOURCE_DIR}/bench/*.h)
foreach(source IN LISTS bench_sources)
  file(STRINGS ${source} includes REGEX "^#include \"tests/")
  if(includes)
    message(FATAL_ERROR "${source} includes from tests/: ${includes}")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR} -G Ninja
          -DGRYADKA_BUILD_TESTS=OFF -DGRYADKA_BUILD_BENCH=ON
  RESULT_VARIABLE configure_result
  OUTPUT_VARIABLE configure_output
  ERROR_VARIABLE configure_output)
if(NOT configure_result EQUAL 0)
  message(FATAL_ERROR "configuring with -DGRYADKA_BUILD_TESTS=OFF failed:\n${configure_output}")
endif()

file(READ ${WORK_DIR}/build.ninja build_text)
foreach(target gryadka-bench gryadka_micro_bench)
  string(FIND "${build_text}" "${target}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "no ${target} target when configured with -DGRYADKA_BUILD_TESTS=OFF")
  endif()
endforeach()
foreach(forbidden "${SOURCE_DIR}/tests/" "gryadka_test_support")
  string(FIND "${build_text}" "${forbidden}" at)
  if(NOT at EQUAL -1)
    string(SUBSTRING "${build_text}" ${at} 200 context)
    message(FATAL_ERROR "with tests off the build still uses ${forbidden}: ...${context}")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
message(STATUS "bench configures without tests and uses nothing from tests/")
