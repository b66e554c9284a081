#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace filament::core {

// A ULID: 48-bit millisecond timestamp + 80 random bits, written as 26 Crockford base32
// characters in upper case. Ids from one UlidGenerator are strictly increasing, so ids double
// as a creation order (message history is ordered by id).
class Ulid {
 public:
  Ulid() = default;
  static Ulid FromParts(uint64_t unix_ms, const std::array<uint8_t, 10>& random);
  // Parses 26 Crockford base32 characters (case-insensitive; I/L read as 1, O as 0 are NOT
  // accepted: the contract requires canonical ULIDs). Returns nullopt on any other input.
  static std::optional<Ulid> Parse(std::string_view text);
  static bool IsValid(std::string_view text) { return Parse(text).has_value(); }

  std::string ToString() const;
  uint64_t UnixMs() const;
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  auto operator<=>(const Ulid&) const = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

// Mints strictly increasing ULIDs. Thread-safe.
class UlidGenerator {
 public:
  UlidGenerator();
  // `unix_ms` is the caller's clock reading; if it is not after the last id's time the
  // previous random part is incremented, keeping ids monotonic.
  Ulid Next(uint64_t unix_ms);

 private:
  std::mutex mutex_;
  std::mt19937_64 rng_;
  uint64_t last_ms_ = 0;
  std::array<uint8_t, 10> last_random_{};
};

}  // namespace filament::core
