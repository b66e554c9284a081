// Fuzz target: the REST router (api/support/router.*) over a table shaped like the real one,
// PercentDecode, and QueryParams.
// Input: [method selector][flags]path '?' query.
// Invariants: a found route has every parameter decoded to non-empty valid UTF-8 and one
// value per `{name}`; 405 always carries an allow list; PercentDecode output is valid UTF-8 and
// decoding a fully re-encoded value gives it back; QueryParams values are valid UTF-8.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/support/router.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

using filament::api::PercentDecode;
using filament::api::QueryParams;
using filament::api::RouteMatch;
using filament::api::Router;
using filament::fuzz::ReferenceUtf8;

constexpr std::array<std::string_view, 6> kMethods = {"GET",    "POST", "PATCH",
                                                      "DELETE", "HEAD", "PUT"};

const Router& Table() {
  static const Router* router = [] {
    auto* r = new Router;
    r->Add("GET", "/health");
    r->Add("POST", "/auth/login");
    r->Add("GET", "/guilds");
    r->Add("POST", "/guilds");
    r->Add("GET", "/guilds/public");
    r->Add("GET", "/guilds/{guild_id}");
    r->Add("PATCH", "/guilds/{guild_id}");
    r->Add("GET", "/guilds/{guild_id}/channels");
    r->Add("GET", "/guilds/{guild_id}/channels/{channel_id}/messages");
    r->Add("POST", "/guilds/{guild_id}/channels/{channel_id}/messages");
    r->Add("PATCH", "/guilds/{guild_id}/channels/{channel_id}/messages/{message_id}");
    r->Add("DELETE", "/guilds/{guild_id}/channels/{channel_id}/messages/{message_id}");
    r->Add("POST",
           "/guilds/{guild_id}/channels/{channel_id}/messages/{message_id}/reactions/{emoji}");
    r->Add("GET", "/users/@me");
    r->Add("GET", "/users/{user_id}");
    r->Add("GET", "/users/{user_id}/avatar");
    r->Add("DELETE", "/friends/{user_id}/");
    return r;
  }();
  return *router;
}

std::string EncodeAll(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

void CheckMatch(const RouteMatch& m) {
  switch (m.kind) {
    case RouteMatch::Kind::kFound:
      for (const auto& [name, value] : m.params) {
        FUZZ_CHECK(!name.empty() && !value.empty() && ReferenceUtf8(value));
        FUZZ_CHECK(m.Param(name) == value);
      }
      break;
    case RouteMatch::Kind::kMethodNotAllowed:
      FUZZ_CHECK(!m.allow.empty());
      break;
    default:
      break;
  }
}

void CheckDecode(std::string_view text, bool plus) {
  auto decoded = PercentDecode(text, plus);
  if (!decoded.ok()) return;
  FUZZ_CHECK(ReferenceUtf8(*decoded));
  auto again = PercentDecode(EncodeAll(*decoded));
  FUZZ_CHECK(again.ok() && *again == *decoded);
}

void CheckQuery(std::string_view query) {
  auto params = QueryParams::Parse(query);
  if (!params.ok()) return;
  for (const auto& [key, value] : params->entries()) {
    FUZZ_CHECK(ReferenceUtf8(key) && ReferenceUtf8(value));
    (void)params->Get(key);
    auto n = params->GetInt(key);
    if (n.ok() && n->has_value()) {
      auto text = params->Get(key);
      FUZZ_CHECK(text.ok() && text->has_value() && !(*text)->empty());
      FUZZ_CHECK((*text)->find_first_not_of("-0123456789") == std::string::npos);
      FUZZ_CHECK((**n < 0) == ((*text)->front() == '-' && **n != 0));
    }
  }
  (void)params->RejectUnknown({"limit", "before"});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  filament::fuzz::InputReader in(data, size);
  const std::string_view method = kMethods[in.Byte() % kMethods.size()];
  const std::string_view path = in.Until('?');
  const std::string_view query = in.Rest();

  CheckMatch(Table().Match(method, path));
  CheckDecode(path, false);
  CheckDecode(query, true);
  CheckQuery(query);
  return 0;
}
