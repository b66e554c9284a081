# The allocator of `filament` and of the benchmarks that run its code paths (ADR 0109):
# jemalloc, from Debian's libjemalloc-dev. glibc's malloc spent a fifth of the messages rebuild
# in malloc/free (threads free what others allocate); on jemalloc the rebuild ran 9-31 % faster
# and the gateway delivered more per CPU second (docs/performance.md §44).
# -DFILAMENT_JEMALLOC=OFF keeps glibc's. Sanitized and fuzzing builds keep the sanitizers'
# allocator. Include after Sanitizers.cmake, Fuzz.cmake and the pkg-config lookup.
option(FILAMENT_JEMALLOC "Link filament with jemalloc (libjemalloc-dev)" ON)
set(filament_use_jemalloc ${FILAMENT_JEMALLOC})
if(FILAMENT_SANITIZE OR FILAMENT_FUZZ)
  set(filament_use_jemalloc OFF)
endif()
if(filament_use_jemalloc)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

# Links `target` (an executable) with the chosen allocator. Linked as a shared library before
# libc, jemalloc's malloc/free/new/delete replace glibc's for the whole process.
function(filament_link_allocator target)
  if(filament_use_jemalloc)
    target_link_libraries(${target} PRIVATE PkgConfig::JEMALLOC)
    # --as-needed would drop it: the executable calls no jemalloc-only symbol.
    target_link_options(${target} PRIVATE "LINKER:--no-as-needed")
  endif()
endfunction()

# A test that `target` runs on jemalloc, not merely links it: jemalloc prints its statistics at
# exit when MALLOC_CONF asks. `args` must make the binary exit at once.
function(filament_add_allocator_test target)
  if(NOT filament_use_jemalloc)
    return()
  endif()
  add_test(NAME ${target}_runs_on_jemalloc COMMAND ${target} ${ARGN})
  set_tests_properties(${target}_runs_on_jemalloc PROPERTIES LABELS "unit"
    ENVIRONMENT "MALLOC_CONF=stats_print:true"
    PASS_REGULAR_EXPRESSION "Begin jemalloc statistics")
endfunction()
