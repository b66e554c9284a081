# -DFILAMENT_FUZZ=ON (clang only; tools/fuzz/run.sh configures build-fuzz/ so): every project
# library is instrumented for libFuzzer coverage plus ASan and UBSan, and tools/fuzz builds
# one libFuzzer executable per target (fuzz_<target>). Without it tools/fuzz builds plain
# corpus-regression executables instead (ADR 0068). Include after FilamentTargets.cmake.
option(FILAMENT_FUZZ "Build the libFuzzer targets of tools/fuzz (clang only)" OFF)
if(FILAMENT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FILAMENT_FUZZ needs clang (CMAKE_CXX_COMPILER=clang++-14)")
  endif()
  if(FILAMENT_SANITIZE)
    message(FATAL_ERROR "FILAMENT_FUZZ brings its own sanitizers; leave FILAMENT_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  # Warnings are the gcc build's job; clang's different set must not fail the fuzz tree.
  list(REMOVE_ITEM FILAMENT_WARNINGS -Werror)
endif()
