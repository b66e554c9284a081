#include "adapters/crypto/paseto.hpp"

#include <initializer_list>

#include <sodium.h>

#include "adapters/crypto/primitives.hpp"
#include "adapters/crypto/sodium_internal.hpp"

namespace filament::crypto {
namespace {

constexpr std::string_view kHeader = "v4.local.";
constexpr std::string_view kPaserkPrefix = "k4.local.";
constexpr size_t kNonceBytes = 32;
constexpr size_t kTagBytes = 32;

bool IsKeyIdChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '-';
}

bool IsValidKeyId(std::string_view kid) {
  if (kid.empty() || kid.size() > kMaxKeyIdChars) return false;
  for (char c : kid) {
    if (!IsKeyIdChar(c)) return false;
  }
  return true;
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// PASETO pre-authentication encoding: LE64(count) || (LE64(len) || piece)...
void AppendLe64(std::string& out, uint64_t n) {
  for (int i = 0; i < 8; ++i) {
    if (i == 7) n &= 127;  // the most significant bit is always cleared
    out.push_back(static_cast<char>(n & 255));
    n >>= 8;
  }
}

std::string Pae(std::initializer_list<std::string_view> pieces) {
  std::string out;
  AppendLe64(out, pieces.size());
  for (std::string_view piece : pieces) {
    AppendLe64(out, piece.size());
    out.append(piece);
  }
  return out;
}

// Ek || n2 and Ak, derived from the key with the nonce (spec step 3); wiped on destruction.
struct DerivedKeys {
  unsigned char ek[32];
  unsigned char n2[24];
  unsigned char ak[32];
  ~DerivedKeys() { sodium_memzero(this, sizeof *this); }
};

void Derive(const SymmetricKey& key, std::string_view nonce, DerivedKeys& out) {
  std::string enc_msg = std::string("paseto-encryption-key").append(nonce);
  std::string auth_msg = std::string("paseto-auth-key-for-aead").append(nonce);
  unsigned char tmp[56];
  crypto_generichash(tmp, sizeof tmp, Bytes(enc_msg), enc_msg.size(), key.bytes.data(),
                     key.bytes.size());
  std::copy(tmp, tmp + 32, out.ek);
  std::copy(tmp + 32, tmp + 56, out.n2);
  sodium_memzero(tmp, sizeof tmp);
  crypto_generichash(out.ak, sizeof out.ak, Bytes(auth_msg), auth_msg.size(), key.bytes.data(),
                     key.bytes.size());
}

std::string Mac(const DerivedKeys& keys, std::string_view nonce, std::string_view cipher,
                std::string_view footer, std::string_view implicit_assertion) {
  std::string pre_auth = Pae({kHeader, nonce, cipher, footer, implicit_assertion});
  std::string tag(kTagBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(tag.data()), tag.size(), Bytes(pre_auth),
                     pre_auth.size(), keys.ak, sizeof keys.ak);
  return tag;
}

std::string XorStream(const DerivedKeys& keys, std::string_view in) {
  std::string out(in.size(), '\0');
  crypto_stream_xchacha20_xor(reinterpret_cast<unsigned char*>(out.data()), Bytes(in), in.size(),
                              keys.n2, keys.ek);
  return out;
}

struct TokenParts {
  std::string body;    // n || c || t
  std::string footer;  // decoded; empty when absent
};

core::Result<TokenParts> ParseToken(std::string_view token) {
  if (token.size() > kMaxPasetoTokenBytes) return core::Unauthenticated("paseto: token too long");
  if (!token.starts_with(kHeader)) return core::Unauthenticated("paseto: header is not v4.local.");
  std::string_view rest = token.substr(kHeader.size());
  std::string_view footer_b64;
  if (size_t dot = rest.find('.'); dot != std::string_view::npos) {
    footer_b64 = rest.substr(dot + 1);
    rest = rest.substr(0, dot);
    if (footer_b64.empty() || footer_b64.find('.') != std::string_view::npos) {
      return core::Unauthenticated("paseto: malformed footer segment");
    }
  }
  auto body = internal::Base64UrlDecode(rest);
  if (!body || body->size() < kNonceBytes + kTagBytes) {
    return core::Unauthenticated("paseto: malformed body");
  }
  auto footer = internal::Base64UrlDecode(footer_b64);
  if (!footer) return core::Unauthenticated("paseto: malformed footer");
  return TokenParts{*std::move(body), *std::move(footer)};
}

}  // namespace

SymmetricKey GenerateSymmetricKey() {
  internal::EnsureSodium();
  SymmetricKey key;
  key.kid = "k" + RandomHex(8);
  randombytes_buf(key.bytes.data(), key.bytes.size());
  return key;
}

std::string EncodeKey(const SymmetricKey& key) {
  return key.kid + ":" + std::string(kPaserkPrefix) +
         internal::Base64UrlEncode(key.bytes.data(), key.bytes.size());
}

core::Result<SymmetricKey> DecodeKey(std::string_view encoded) {
  size_t colon = encoded.find(':');
  if (colon == std::string_view::npos || !IsValidKeyId(encoded.substr(0, colon))) {
    return core::InvalidArgument("key: missing or invalid key id");
  }
  std::string_view paserk = encoded.substr(colon + 1);
  if (!paserk.starts_with(kPaserkPrefix)) return core::InvalidArgument("key: expected k4.local.");
  auto bytes = internal::Base64UrlDecode(paserk.substr(kPaserkPrefix.size()));
  SymmetricKey key;
  if (!bytes || bytes->size() != key.bytes.size()) {
    return core::InvalidArgument("key: not 32 bytes of base64url");
  }
  key.kid = std::string(encoded.substr(0, colon));
  std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
  sodium_memzero(bytes->data(), bytes->size());
  return key;
}

std::string PasetoV4LocalEncrypt(const SymmetricKey& key, std::string_view payload,
                                 std::string_view footer) {
  internal::EnsureSodium();
  std::array<uint8_t, 32> nonce;
  randombytes_buf(nonce.data(), nonce.size());
  return PasetoV4LocalEncrypt(key, payload, footer, {}, nonce);
}

std::string PasetoV4LocalEncrypt(const SymmetricKey& key, std::string_view payload,
                                 std::string_view footer, std::string_view implicit_assertion,
                                 const std::array<uint8_t, 32>& nonce) {
  internal::EnsureSodium();
  std::string_view n(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  DerivedKeys keys;
  Derive(key, n, keys);
  std::string cipher = XorStream(keys, payload);
  std::string body = std::string(n) + cipher + Mac(keys, n, cipher, footer, implicit_assertion);
  std::string token = std::string(kHeader) + internal::Base64UrlEncode(body);
  if (!footer.empty()) token += "." + internal::Base64UrlEncode(footer);
  return token;
}

core::Result<std::string> PasetoV4LocalDecrypt(const SymmetricKey& key, std::string_view token,
                                               std::string_view expected_footer,
                                               std::string_view implicit_assertion) {
  internal::EnsureSodium();
  auto parts = ParseToken(token);
  if (!parts.ok()) return parts.error();
  if (!expected_footer.empty() && !ConstantTimeEquals(parts->footer, expected_footer)) {
    return core::Unauthenticated("paseto: unexpected footer");
  }
  std::string_view body = parts->body;
  std::string_view n = body.substr(0, kNonceBytes);
  std::string_view cipher = body.substr(kNonceBytes, body.size() - kNonceBytes - kTagBytes);
  std::string_view tag = body.substr(body.size() - kTagBytes);
  DerivedKeys keys;
  Derive(key, n, keys);
  std::string expected_tag = Mac(keys, n, cipher, parts->footer, implicit_assertion);
  if (crypto_verify_32(Bytes(tag), Bytes(expected_tag)) != 0) {
    return core::Unauthenticated("paseto: authentication tag mismatch");
  }
  return XorStream(keys, cipher);
}

core::Result<std::string> PasetoV4LocalFooter(std::string_view token) {
  auto parts = ParseToken(token);
  if (!parts.ok()) return parts.error();
  return std::move(parts->footer);
}

}  // namespace filament::crypto
