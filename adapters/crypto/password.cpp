#include "adapters/crypto/password.hpp"

#include <map>
#include <mutex>
#include <utility>

#include <sodium.h>

#include "adapters/crypto/primitives.hpp"
#include "adapters/crypto/sodium_internal.hpp"

namespace filament::crypto {
namespace {

static_assert(PasswordHashParams{}.ops_limit == crypto_pwhash_OPSLIMIT_INTERACTIVE);
static_assert(PasswordHashParams{}.mem_limit_bytes == crypto_pwhash_MEMLIMIT_INTERACTIVE);

bool ParamsInRange(const PasswordHashParams& params) {
  return params.ops_limit >= crypto_pwhash_OPSLIMIT_MIN &&
         params.ops_limit <= crypto_pwhash_OPSLIMIT_MAX &&
         params.mem_limit_bytes >= crypto_pwhash_MEMLIMIT_MIN &&
         params.mem_limit_bytes <= crypto_pwhash_MEMLIMIT_MAX;
}

// libsodium wants a NUL-terminated hash string no longer than crypto_pwhash_STRBYTES.
bool CopyHash(std::string_view encoded_hash, char (&out)[crypto_pwhash_STRBYTES]) {
  if (encoded_hash.empty() || encoded_hash.size() >= crypto_pwhash_STRBYTES ||
      encoded_hash.find('\0') != std::string_view::npos) {
    return false;
  }
  encoded_hash.copy(out, encoded_hash.size());
  out[encoded_hash.size()] = '\0';
  return true;
}

}  // namespace

core::Result<std::string> HashPassword(std::string_view password,
                                       const PasswordHashParams& params) {
  internal::EnsureSodium();
  if (password.size() > kMaxPasswordBytes) return core::InvalidArgument("password too long");
  if (!ParamsInRange(params)) return core::InvalidArgument("password hash params out of range");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.ops_limit,
                            params.mem_limit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return core::Internal("argon2id hashing failed (out of memory)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view encoded_hash, std::string_view password) {
  internal::EnsureSodium();
  char hash[crypto_pwhash_STRBYTES];
  if (password.size() > kMaxPasswordBytes || !CopyHash(encoded_hash, hash)) return false;
  return crypto_pwhash_str_verify(hash, password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(std::string_view encoded_hash, const PasswordHashParams& params) {
  internal::EnsureSodium();
  char hash[crypto_pwhash_STRBYTES];
  if (!CopyHash(encoded_hash, hash)) return true;
  return crypto_pwhash_str_needs_rehash(hash, params.ops_limit, params.mem_limit_bytes) != 0;
}

void BurnEquivalentVerifyCost(std::string_view password, const PasswordHashParams& params) {
  static std::mutex mutex;
  static std::map<std::pair<uint64_t, size_t>, std::string> dummies;
  std::string dummy;
  {
    std::lock_guard<std::mutex> lock(mutex);
    std::string& slot = dummies[{params.ops_limit, params.mem_limit_bytes}];
    if (slot.empty()) {
      auto hashed = HashPassword(RandomHex(16), params);
      if (!hashed.ok()) return;  // bad params or no memory: a real verify would fail too
      slot = *std::move(hashed);
    }
    dummy = slot;
  }
  (void)VerifyPassword(dummy, password);  // same early exit as a real verify for long input
}

}  // namespace filament::crypto
