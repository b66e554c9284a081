#include "gateway/ip_key.hpp"

#include <arpa/inet.h>

namespace filament::gateway {

std::optional<std::string> IpKey(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string zero_terminated(text);
  unsigned char bytes[16];
  if (inet_pton(AF_INET, zero_terminated.c_str(), bytes) == 1) {
    return "4" + std::string(reinterpret_cast<const char*>(bytes), 4);
  }
  if (inet_pton(AF_INET6, zero_terminated.c_str(), bytes) == 1) {
    return "6" + std::string(reinterpret_cast<const char*>(bytes), 16);
  }
  return std::nullopt;
}

}  // namespace filament::gateway
