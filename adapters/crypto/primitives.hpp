#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace filament::crypto {

// Initialises libsodium. Idempotent and thread-safe; call once at process start so a broken
// environment (no OS RNG) is reported as an error. Every other function here initialises
// lazily as well and aborts (FILAMENT_CHECK) if that fails, since it cannot happen on a
// working system. Errors: kInternal when libsodium cannot initialise.
core::Status InitCrypto();

// `bytes` random bytes from the OS CSPRNG as unpadded base64url (RFC 4648 §5).
// Precondition: bytes <= 1 MiB. Thread-safe.
std::string RandomBase64Url(size_t bytes);

// `bytes` random bytes as lowercase hex (2 * bytes characters). Precondition: bytes <= 1 MiB.
std::string RandomHex(size_t bytes);

// SHA-256 of `data` as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view data);

// A random (version 4, RFC 9562) UUID in lowercase 8-4-4-4-12 form.
std::string NewUuidV4();

// Compares two strings in time that depends only on their lengths (for secrets such as
// refresh-token hashes). Lengths are not secret.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace filament::crypto
