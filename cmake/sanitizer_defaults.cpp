// Linked into every executable of a -DFILAMENT_SANITIZE build (cmake/Sanitizers.cmake). The
// sanitizers read these before ASAN_OPTIONS / LSAN_OPTIONS / UBSAN_OPTIONS, which can still
// override them.
//
// ASan. detect_stack_use_after_return: a view of a temporary destroyed in a frame that has
// returned (issue #14: a short std::string keeps its characters inside the object, on the stack)
// is caught only with it; without it the e2e sequence passed under ASan, unreported.
// strict_string_checks: string functions check their whole input. LeakSanitizer stays on (the
// server exits cleanly on SIGTERM and reports no leak today).
extern "C" const char* __asan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1";
}

// LeakSanitizer: only the narrow, commented entries of tools/dev/lsan.supp (leaks inside
// third-party libraries that are not ours to fix), read by path at run time.
extern "C" const char* __lsan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "suppressions=" FILAMENT_SOURCE_DIR "/tools/dev/lsan.supp";
}

// UBSan: the build already makes every check fatal (-fno-sanitize-recover=all); halt_on_error
// says so again for a binary built otherwise, and the report carries a stack trace.
extern "C" const char* __ubsan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "halt_on_error=1:print_stacktrace=1";
}
