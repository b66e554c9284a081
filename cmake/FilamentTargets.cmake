# One place for compile flags and test wiring.
#   filament_add_library(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
#   filament_add_test(NAME LABEL unit|pg|kafka|e2e|load [SERIAL] SOURCES ... [DEPS ...])
# -Wno-restrict: g++ 12 reports a false -Wrestrict inside libstdc++ string code at -O3
# (GCC bug 105329), which would fail Release builds under -Werror.
set(FILAMENT_WARNINGS -Wall -Wextra -Wpedantic -Werror -Wno-missing-field-initializers
                      -Wno-restrict)

function(filament_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${FILAMENT_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

function(filament_add_test name)
  cmake_parse_arguments(ARG "SERIAL" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  target_compile_options(${name} PRIVATE ${FILAMENT_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main
                                        Threads::Threads)
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
                       RUN_SERIAL ${serial} DISCOVERY_TIMEOUT 60)
endfunction()
