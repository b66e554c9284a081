#pragma once

// For tests that bound memory: this process's resident size, and whether AddressSanitizer is
// compiled in. Under ASan freed blocks wait in a quarantine and every block carries redzones, so
// the resident size follows how much was allocated, not how much is held: such tests check their
// memory bounds only in uninstrumented builds (tools/dev/test.sh --sanitize runs the rest).

#include <cstdint>
#include <fstream>
#include <string>

namespace filament::core::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// VmRSS of /proc/self/status in KiB; 0 when it cannot be read.
inline int64_t ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

}  // namespace filament::core::testing
