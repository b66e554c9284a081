#include "adapters/crypto/access_token.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include "adapters/crypto/rfc3339.hpp"
#include "core/ulid.hpp"

namespace filament::crypto {
namespace {

constexpr size_t kMaxUsernameBytes = 64;

using Json = nlohmann::json;

core::Error Reject(std::string why) { return core::Unauthenticated("access token: " + why); }

std::string FooterFor(std::string_view kid) { return nlohmann::ordered_json{{"kid", kid}}.dump(); }

// The kid of a footer that is exactly {"kid": "<1..64 chars>"}.
std::optional<std::string> KidFromFooter(std::string_view footer) {
  Json json = Json::parse(footer, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || json.size() != 1) return std::nullopt;
  auto it = json.find("kid");
  if (it == json.end() || !it->is_string()) return std::nullopt;
  const auto& kid = it->get_ref<const std::string&>();
  if (kid.empty() || kid.size() > kMaxKeyIdChars) return std::nullopt;
  return kid;
}

const std::string* StringField(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

std::optional<int64_t> TimeField(const Json& object, const char* name) {
  const std::string* text = StringField(object, name);
  return text == nullptr ? std::nullopt : ParseRfc3339(*text);
}

core::Result<AccessClaims> ClaimsFromPayload(std::string_view payload) {
  Json json = Json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Reject("payload is not a JSON object");
  const std::string* sub = StringField(json, "sub");
  if (sub == nullptr || !core::Ulid::IsValid(*sub)) return Reject("sub is not a ULID");
  const std::string* username = StringField(json, "username");
  if (username == nullptr || username->empty() || username->size() > kMaxUsernameBytes) {
    return Reject("bad username");
  }
  auto iat = TimeField(json, "iat");
  auto nbf = TimeField(json, "nbf");
  auto exp = TimeField(json, "exp");
  if (!iat || !nbf || !exp) return Reject("iat/nbf/exp missing or not RFC 3339");
  return AccessClaims{*sub, *username, *iat, *nbf, *exp};
}

}  // namespace

std::string IssueAccessToken(const SymmetricKey& key, const AccessClaims& claims) {
  nlohmann::ordered_json payload = {{"sub", claims.sub},
                                    {"username", claims.username},
                                    {"iat", FormatRfc3339Utc(claims.iat)},
                                    {"nbf", FormatRfc3339Utc(claims.nbf)},
                                    {"exp", FormatRfc3339Utc(claims.exp)}};
  std::string text = payload.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return PasetoV4LocalEncrypt(key, text, FooterFor(key.kid));
}

void KeyRing::Add(SymmetricKey key) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].kid == key.kid) {
      keys_[i] = std::move(key);
      primary_ = i;
      return;
    }
  }
  keys_.push_back(std::move(key));
  primary_ = keys_.size() - 1;
}

const SymmetricKey* KeyRing::Find(std::string_view kid) const {
  for (const SymmetricKey& key : keys_) {
    if (key.kid == kid) return &key;
  }
  return nullptr;
}

const SymmetricKey* KeyRing::Primary() const { return keys_.empty() ? nullptr : &keys_[primary_]; }

core::Result<AccessClaims> VerifyAccessToken(const KeyRing& ring, std::string_view token,
                                             int64_t now_unix) {
  if (token.size() > kMaxAccessTokenBytes) return Reject("too long");
  auto footer = PasetoV4LocalFooter(token);
  if (!footer.ok()) return footer.error();
  std::optional<std::string> kid = KidFromFooter(*footer);
  if (!kid) return Reject("footer is not {\"kid\":...}");
  const SymmetricKey* key = ring.Find(*kid);
  if (key == nullptr) return Reject("unknown kid");
  auto payload = PasetoV4LocalDecrypt(*key, token, *footer);
  if (!payload.ok()) return payload.error();
  auto claims = ClaimsFromPayload(*payload);
  if (!claims.ok()) return claims.error();
  if (claims->exp <= now_unix) return Reject("expired");
  if (claims->nbf > now_unix) return Reject("not yet valid");
  return claims;
}

}  // namespace filament::crypto
