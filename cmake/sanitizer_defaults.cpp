// Linked into every executable of a -DFILAMENT_SANITIZE=address build (cmake/Sanitizers.cmake).
// AddressSanitizer reads these before ASAN_OPTIONS, which can still override them.
//
// detect_stack_use_after_return: a view of a temporary destroyed in a frame that has returned
// (issue #14: a short std::string keeps its characters inside the object, on the stack) is
// caught only with it; without it the e2e sequence passed under ASan, unreported.
// strict_string_checks: string functions check their whole input. LeakSanitizer stays on (the
// server exits cleanly on SIGTERM and reports no leak today).
extern "C" const char* __asan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1";
}
