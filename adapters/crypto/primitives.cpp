#include "adapters/crypto/primitives.hpp"

#include <vector>

#include <sodium.h>

#include "adapters/crypto/sodium_internal.hpp"

namespace filament::crypto {
namespace {

constexpr size_t kMaxRandomBytes = size_t{1} << 20;

std::vector<unsigned char> RandomBuffer(size_t bytes) {
  FILAMENT_CHECK(bytes <= kMaxRandomBytes);
  internal::EnsureSodium();
  std::vector<unsigned char> buffer(bytes);
  if (bytes > 0) randombytes_buf(buffer.data(), buffer.size());
  return buffer;
}

std::string Hex(const unsigned char* data, size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();  // the terminating NUL
  return hex;
}

}  // namespace

namespace internal {

void EnsureSodium() { FILAMENT_CHECK(sodium_init() >= 0); }

std::string Base64UrlEncode(const unsigned char* data, size_t size) {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(size, kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, kVariant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t out_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &out_len, &end, kVariant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(out_len);
  // Reject non-canonical encodings (non-zero trailing bits): one token, one spelling.
  if (Base64UrlEncode(reinterpret_cast<const unsigned char*>(out.data()), out.size()) != text) {
    return std::nullopt;
  }
  return out;
}

}  // namespace internal

core::Status InitCrypto() {
  if (sodium_init() < 0) return core::Internal("libsodium failed to initialise");
  return core::OkStatus();
}

std::string RandomBase64Url(size_t bytes) {
  std::vector<unsigned char> buffer = RandomBuffer(bytes);
  return internal::Base64UrlEncode(buffer.data(), buffer.size());
}

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buffer = RandomBuffer(bytes);
  return Hex(buffer.data(), buffer.size());
}

std::string Sha256Hex(std::string_view data) {
  internal::EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return Hex(digest, sizeof digest);
}

std::string NewUuidV4() {
  std::vector<unsigned char> b = RandomBuffer(16);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // variant 10xx
  std::string hex = Hex(b.data(), b.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace filament::crypto
