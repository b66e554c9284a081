#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/crypto/paseto.hpp"
#include "core/result.hpp"

namespace filament::crypto {

// Access tokens longer than this are rejected before any parsing.
inline constexpr size_t kMaxAccessTokenBytes = 4096;

// Claims of an access token (REST_API.md §4.1). Times are Unix seconds; on the wire they are
// RFC 3339 UTC strings such as "2026-11-21T23:45:00Z".
struct AccessClaims {
  std::string sub;  // user id, a ULID
  std::string username;
  int64_t iat = 0;
  int64_t nbf = 0;
  int64_t exp = 0;

  bool operator==(const AccessClaims&) const = default;
};

// Mints a PASETO v4.local token: payload {"sub","username","iat","nbf","exp"}, footer
// {"kid":"<key.kid>"}, empty implicit assertion. Does not validate the claims. Thread-safe.
std::string IssueAccessToken(const SymmetricKey& key, const AccessClaims& claims);

// The keys a process accepts, by kid. Build it at start-up, then share it read-only: Find() and
// Primary() may run concurrently with each other, but not with Add().
class KeyRing {
 public:
  // Adds `key`, replacing a key with the same kid. The last key added is the primary.
  void Add(SymmetricKey key);
  // The key named `kid`, or nullptr. The pointer is valid until the next Add().
  const SymmetricKey* Find(std::string_view kid) const;
  // The key to issue new tokens with (the last one added), or nullptr when empty.
  const SymmetricKey* Primary() const;

 private:
  std::vector<SymmetricKey> keys_;
  size_t primary_ = 0;
};

// Verifies an access token strictly and returns its claims: length <= kMaxAccessTokenBytes,
// "v4.local." header, footer a JSON object holding only a string kid (1..64 chars) that names a
// key in `ring`, valid MAC, payload a JSON object with a ULID `sub`, a non-empty string
// `username` (<= 64 bytes) and RFC 3339 `iat`/`nbf`/`exp`; then exp > now_unix >= nbf.
// Errors: kUnauthenticated for every failure. The message names the failed check and is for
// logs only; never tell the client which check failed. Thread-safe (see KeyRing).
core::Result<AccessClaims> VerifyAccessToken(const KeyRing& ring, std::string_view token,
                                             int64_t now_unix);

}  // namespace filament::crypto
