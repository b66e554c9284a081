#pragma once

#include <cstdint>
#include <string>

// Test-only: deterministic pseudo-random blob contents, shared by the PgBlobStore tests and
// the kill-test child so the parent can tell exactly which bytes a complete object must hold.
namespace filament::pgstore::testing {

// `size` bytes derived from `seed` (xorshift64*; no two seeds share a prefix in practice).
inline std::string BlobTestContent(uint64_t seed, size_t size) {
  std::string bytes(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    bytes[i] = static_cast<char>((x * 0x2545F4914F6CDD1Dull) >> 56);
  }
  return bytes;
}

// The kill test's object `index` (0..19) as written in `round` (1..): 200 KiB .. about 2 MiB.
inline size_t KillTestSize(int index, int round) {
  return 200 * 1024 + static_cast<size_t>(index) * 97 * 1024 + static_cast<size_t>(round) * 13;
}
inline std::string KillTestContent(int index, int round) {
  return BlobTestContent(static_cast<uint64_t>(round) * 1000 + static_cast<uint64_t>(index),
                         KillTestSize(index, round));
}
inline std::string KillTestKey(int index) { return "attachments/kill-" + std::to_string(index); }

}  // namespace filament::pgstore::testing
