
#include <nlohmann/json.hpp>

#include "api/routes/route_helpers.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::api {
namespace {

std::string TokensJson(const IssuedTokens& tokens) {
  nlohmann::ordered_json out;
  out["access_token"] = tokens.access_token;
  out["refresh_token"] = tokens.refresh_token;
  out["expires_in_secs"] = tokens.expires_in_secs;
  return out.dump();
}

// With hCaptcha on, the token is checked (and verified) before the fields (contract §4.2).
core::Status CheckCaptcha(ApiHandler& api, const RouteRequest& request,
                          const std::optional<std::string>& token) {
  CaptchaVerifier* captcha = api.deps().captcha;
  if (captcha == nullptr) return core::OkStatus();
  if (!token || !IsWellFormedCaptchaToken(*token)) return CaptchaFailed("bad captcha token");
  return captcha->Verify(*token, request.client_ip);
}

http::HttpResponse RegisterUser(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string username = body->RequiredString("username");
  std::string password = body->RequiredString("password");
  auto captcha_token = body->OptionalString("captcha_token");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  if (!api.AllowAuthRoute("register", request.client_ip)) return api.Error(RateLimited());
  if (auto status = CheckCaptcha(api, request, captcha_token); !status.ok()) {
    return api.Error(status.error());
  }
  auto appended = api.deps().auth.Register({"", request.http.request_id}, username, password);
  if (!appended.ok()) return api.Error(appended.error());
  // Same answer for new and taken usernames; a new user is readable once this returns. The
  // position header would tell the two apart (only a new account appends), so it is dropped.
  http::HttpResponse response = api.MutationNow(*appended, R"({"accepted":true})");
  std::erase_if(response.headers,
                [](const auto& header) { return header.first == "x-filament-position"; });
  return response;
}

http::HttpResponse Login(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string username = body->RequiredString("username");
  std::string password = body->RequiredString("password");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  if (!api.AllowAuthRoute("login", request.client_ip)) return api.Error(RateLimited());
  auto tokens = api.deps().auth.Login({"", request.http.request_id}, username, password);
  if (!tokens.ok()) return api.Error(tokens.error());
  return api.Json(200, TokensJson(*tokens));
}

http::HttpResponse Refresh(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string refresh_token = body->RequiredString("refresh_token");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  if (!api.AllowAuthRoute("refresh", request.client_ip)) return api.Error(RateLimited());
  auto tokens = api.deps().auth.Refresh({"", request.http.request_id}, refresh_token);
  if (!tokens.ok()) return api.Error(tokens.error());
  return api.Json(200, TokensJson(*tokens));
}

http::HttpResponse Logout(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string refresh_token = body->RequiredString("refresh_token");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto status = api.deps().auth.Logout({"", request.http.request_id}, refresh_token);
  if (!status.ok()) return api.Error(status.error());
  http::HttpResponse response = api.Json(204, "");
  response.content_type.clear();
  return response;
}

http::HttpResponse Me(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto profile = api.deps().users.FindById(who->user_id);
  if (!profile.ok()) return api.Error(profile.error());
  if (!profile->has_value()) return api.Error(core::Unauthenticated("user vanished"));
  return api.Json(200, projections::ProfileJson(**profile));
}

// POST /users/lookup: 1..64 ULIDs, de-duplicated in order; unknown ids are left out.
http::HttpResponse LookupUsers(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::vector<std::string> raw = body->RequiredStringArray("user_ids");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  constexpr size_t kMaxLookupIds = 64;
  if (raw.empty() || raw.size() > kMaxLookupIds) {
    return api.Error(core::InvalidArgument("user_ids must hold 1..64 ids"));
  }
  auto ids = CanonicalUlids(raw);
  if (!ids.ok()) return api.Error(ids.error());
  auto profiles = api.deps().users.FindMany(*ids);
  if (!profiles.ok()) return api.Error(profiles.error());
  nlohmann::ordered_json out;
  out["users"] = nlohmann::json::array();
  for (const auto& p : *profiles) {
    nlohmann::ordered_json user;
    user["user_id"] = p.user_id;
    user["username"] = p.username;
    user["avatar_version"] = p.avatar_version;
    out["users"].push_back(std::move(user));
  }
  return api.Json(200, out.dump());
}

}  // namespace

void RegisterAuthRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("POST", "/auth/register", RegisterUser);
  add("POST", "/auth/login", Login);
  add("POST", "/auth/refresh", Refresh);
  add("POST", "/auth/logout", Logout);
  add("GET", "/auth/me", Me);
  add("POST", "/users/lookup", LookupUsers);
}

}  // namespace filament::api
