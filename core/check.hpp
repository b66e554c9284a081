#pragma once

// FILAMENT_CHECK(cond) aborts with file, line and the condition when a broken invariant is
// found. Use it only for "cannot happen"; never for anything a client, the network or the
// database can cause (those are core::Error values).
namespace filament::core {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);
}  // namespace filament::core

#define FILAMENT_CHECK(cond)                                               \
  do {                                                                     \
    if (!(cond)) ::filament::core::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (false)
