# -DFILAMENT_SANITIZE=address (or undefined, or address,undefined) instruments every target, our
# libraries and tests alike; tools/dev/asan.sh builds such a tree in build-asan/. Third-party
# libraries stay uninstrumented (Debian's builds). Include before the first target.
set(FILAMENT_SANITIZE "" CACHE STRING "Sanitizers: address, undefined, address,undefined or empty")
if(FILAMENT_SANITIZE)
  string(REPLACE "," ";" filament_sanitizers "${FILAMENT_SANITIZE}")
  foreach(sanitizer IN LISTS filament_sanitizers)
    if(NOT sanitizer MATCHES "^(address|undefined)$")
      message(FATAL_ERROR "FILAMENT_SANITIZE: '${sanitizer}' is not address or undefined")
    endif()
  endforeach()
  # Every finding fails: UBSan stops at the first error instead of printing and going on.
  add_compile_options(-fsanitize=${FILAMENT_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${FILAMENT_SANITIZE})
  # The instrumentation makes g++ 12 report false -Wmaybe-uninitialized (on std::optional in
  # adapters/crypto/rfc3339.cpp, for one), which -Werror would turn into a failed build; the
  # uninstrumented build keeps the warning.
  add_compile_options(-Wno-maybe-uninitialized)
endif()

# Gives every executable of the tree the sanitizer defaults of cmake/sanitizer_defaults.cpp
# (ASan's detect_stack_use_after_return, UBSan's stack traces, LeakSanitizer's suppression file
# tools/dev/lsan.supp), so that a binary run outside the scripts (ctest, by hand, by the e2e
# harness) checks as much as one run by tools/dev/asan.sh. Call once, after every add_subdirectory.
function(filament_add_sanitizer_defaults)
  if(NOT FILAMENT_SANITIZE)
    return()
  endif()
  set(defaults ${PROJECT_SOURCE_DIR}/cmake/sanitizer_defaults.cpp)
  set(pending ${PROJECT_SOURCE_DIR})
  while(pending)
    list(POP_FRONT pending dir)
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    list(APPEND pending ${subdirs})
    # The suppression file is read at run time, by path: editing it needs no rebuild.
    set_property(SOURCE ${defaults} DIRECTORY ${dir} PROPERTY COMPILE_DEFINITIONS
                 FILAMENT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "EXECUTABLE")
        target_sources(${target} PRIVATE ${defaults})
      endif()
    endforeach()
  endwhile()
endfunction()
