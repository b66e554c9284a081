#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace filament::crypto {

// Passwords longer than this are refused by HashPassword and never verify. The contract caps
// passwords at 128 bytes (LIMITS.md); this is only a bound on work per call.
inline constexpr size_t kMaxPasswordBytes = 1024;

// Argon2id cost. Defaults are libsodium's INTERACTIVE limits (ops 2, 64 MiB); one hash or one
// verify with them takes about 0.05 s (0.15 s under load) on the reference machine.
struct PasswordHashParams {
  uint64_t ops_limit = 2;                     // crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t mem_limit_bytes = size_t{64} << 20;  // crypto_pwhash_MEMLIMIT_INTERACTIVE
};

// Hashes `password` with Argon2id (libsodium crypto_pwhash_str_alg, ALG_ARGON2ID13, random
// salt) into the self-describing PHC string "$argon2id$v=19$m=...,t=...,p=1$salt$hash".
// The result is a secret-derived value: store it where it can be erased, never in the log.
// Errors: kInvalidArgument (password over kMaxPasswordBytes, params outside libsodium's
// bounds); kInternal (out of memory; retrying later may succeed). Thread-safe; CPU- and
// memory-heavy: call it off the I/O threads.
core::Result<std::string> HashPassword(std::string_view password,
                                       const PasswordHashParams& params = {});

// True iff `encoded_hash` is a well-formed Argon2 hash string of `password`. Any malformed
// or oversized input gives false. Same cost as HashPassword with the hash's own params.
bool VerifyPassword(std::string_view encoded_hash, std::string_view password);

// True when `encoded_hash` was made with other params than `params` (or is malformed), so the
// caller should rehash the password after a successful login.
bool PasswordNeedsRehash(std::string_view encoded_hash, const PasswordHashParams& params = {});

// Does the work of one VerifyPassword against a hash made with `params` and throws the
// answer away, so that "unknown user" takes as long as "wrong password". The dummy hash is
// computed once per distinct params (the first call pays for one extra hash). Thread-safe.
void BurnEquivalentVerifyCost(std::string_view password, const PasswordHashParams& params = {});

}  // namespace filament::crypto
