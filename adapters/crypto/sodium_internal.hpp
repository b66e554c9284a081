#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// Internal to filament_crypto: not part of the library's public API.
namespace filament::crypto::internal {

// sodium_init(), aborting if it fails (cannot happen on a working system).
void EnsureSodium();

// Unpadded base64url (RFC 4648 §5).
std::string Base64UrlEncode(const unsigned char* data, size_t size);
inline std::string Base64UrlEncode(std::string_view data) {
  return Base64UrlEncode(reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

// Strict unpadded base64url: no padding, no whitespace, canonical trailing bits only.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace filament::crypto::internal
