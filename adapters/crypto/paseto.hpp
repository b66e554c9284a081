#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace filament::crypto {

// Upper bound on any token PasetoV4LocalDecrypt / PasetoV4LocalFooter will look at.
inline constexpr size_t kMaxPasetoTokenBytes = 64 * 1024;
// Key ids: 1..64 characters of [A-Za-z0-9_-].
inline constexpr size_t kMaxKeyIdChars = 64;

// A 32-byte PASETO v4.local key and the id that names it in token footers. Secret: never log
// `bytes` or the output of EncodeKey.
struct SymmetricKey {
  std::string kid;
  std::array<uint8_t, 32> bytes{};
};

// A fresh key from the OS CSPRNG; kid = "k" + 16 random hex characters. Thread-safe.
SymmetricKey GenerateSymmetricKey();

// Persistence form: "<kid>:k4.local.<base64url(bytes)>" (the key part is PASERK k4.local).
std::string EncodeKey(const SymmetricKey& key);
// Strict inverse of EncodeKey. Errors: kInvalidArgument (bad kid, prefix, base64url, or not
// exactly 32 bytes). The message never contains key material.
core::Result<SymmetricKey> DecodeKey(std::string_view encoded);

// PASETO v4.local encryption (XChaCha20 + keyed-BLAKE2b MAC over PAE, per the PASETO v4
// specification) with a random 32-byte nonce. `footer` is authenticated but not encrypted;
// empty footer = no footer segment. Thread-safe.
std::string PasetoV4LocalEncrypt(const SymmetricKey& key, std::string_view payload,
                                 std::string_view footer);
// Deterministic variant for test vectors: explicit implicit assertion and nonce. Never reuse
// a nonce in production.
std::string PasetoV4LocalEncrypt(const SymmetricKey& key, std::string_view payload,
                                 std::string_view footer, std::string_view implicit_assertion,
                                 const std::array<uint8_t, 32>& nonce);

// Verifies and decrypts a v4.local token, returning the payload. If `expected_footer` is
// non-empty the token's footer must equal it (constant-time); if empty any footer is accepted
// (it is still authenticated). Strict: exact "v4.local." header, at most one footer segment,
// canonical unpadded base64url, token length <= kMaxPasetoTokenBytes.
// Errors: kUnauthenticated for every failure (the message says which check failed; it is for
// logs only). Thread-safe.
core::Result<std::string> PasetoV4LocalDecrypt(const SymmetricKey& key, std::string_view token,
                                               std::string_view expected_footer,
                                               std::string_view implicit_assertion = {});

// The decoded, UNAUTHENTICATED footer of a v4.local token ("" when it has none), used to pick
// the key before decrypting. Errors: kUnauthenticated (not a well-formed v4.local token).
core::Result<std::string> PasetoV4LocalFooter(std::string_view token);

}  // namespace filament::crypto
