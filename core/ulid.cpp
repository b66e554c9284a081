#include "core/ulid.hpp"

namespace filament::core {
namespace {

__extension__ typedef unsigned __int128 Uint128;

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int DecodeChar(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (int i = 0; i < 32; ++i) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}

}  // namespace

Ulid Ulid::FromParts(uint64_t unix_ms, const std::array<uint8_t, 10>& random) {
  Ulid id;
  for (int i = 0; i < 6; ++i) {
    id.bytes_[i] = static_cast<uint8_t>(unix_ms >> (8 * (5 - i)));
  }
  for (int i = 0; i < 10; ++i) id.bytes_[6 + i] = random[i];
  return id;
}

std::optional<Ulid> Ulid::Parse(std::string_view text) {
  if (text.size() != 26) return std::nullopt;
  // 26 chars * 5 bits = 130 bits; the first char may carry at most 3 bits.
  int first = DecodeChar(text[0]);
  if (first < 0 || first > 7) return std::nullopt;
  Ulid id;
  Uint128 value = 0;
  for (char c : text) {
    int d = DecodeChar(c);
    if (d < 0) return std::nullopt;
    value = (value << 5) | static_cast<unsigned>(d);
  }
  for (int i = 15; i >= 0; --i) {
    id.bytes_[i] = static_cast<uint8_t>(value & 0xFF);
    value >>= 8;
  }
  return id;
}

std::string Ulid::ToString() const {
  Uint128 value = 0;
  for (uint8_t b : bytes_) value = (value << 8) | b;
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    out[i] = kAlphabet[static_cast<int>(value & 0x1F)];
    value >>= 5;
  }
  return out;
}

uint64_t Ulid::UnixMs() const {
  uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes_[i];
  return ms;
}

UlidGenerator::UlidGenerator() : rng_(std::random_device{}()) {}

Ulid UlidGenerator::Next(uint64_t unix_ms) {
  std::lock_guard lock(mutex_);
  if (unix_ms <= last_ms_) {
    unix_ms = last_ms_;
    // Increment the 80-bit random part; on the (astronomically rare) overflow, step the time.
    int i = 9;
    while (i >= 0 && ++last_random_[i] == 0) --i;
    if (i < 0) ++unix_ms;
  } else {
    for (auto& b : last_random_) b = static_cast<uint8_t>(rng_());
    last_random_[0] &= 0x7F;  // leave headroom so increments rarely overflow
  }
  last_ms_ = unix_ms;
  return Ulid::FromParts(unix_ms, last_random_);
}

}  // namespace filament::core
