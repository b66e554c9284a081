#include "adapters/http/request_id.hpp"

#include <random>

namespace filament::http {

std::string ResolveRequestId(std::string_view client_value, bool present) {
  bool valid = present && !client_value.empty() && client_value.size() <= kMaxRequestIdLength;
  for (char c : client_value) {
    if (c < 0x21 || c > 0x7E) valid = false;
  }
  return valid ? std::string(client_value) : NewUuidV4();
}

std::string NewUuidV4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint8_t bytes[16];
  for (int i = 0; i < 16; i += 8) {
    const uint64_t r = rng();
    for (int k = 0; k < 8; ++k) bytes[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0F]);
  }
  return out;
}

}  // namespace filament::http
