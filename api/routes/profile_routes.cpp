// Profiles (REST_API.md §4.3): read any profile, edit one's own. Uploads: upload_routes.cpp.
#include <nlohmann/json.hpp>

#include "api/routes/route_helpers.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::api {
namespace {

http::HttpResponse GetProfile(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto id = core::Ulid::Parse(request.match.Param("user_id"));
  if (!id) return api.Error(core::InvalidArgument("user_id is not a ULID"));
  auto profile = api.deps().users.FindById(id->ToString());
  if (!profile.ok()) return api.Error(profile.error());
  if (!profile->has_value()) return api.Error(core::NotFound("unknown user"));
  return api.Json(200, projections::ProfileJson(**profile));
}

// PATCH /users/me/profile: the limiter runs before authentication (contract §4.3).
http::HttpResponse PatchProfile(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  commands::UpdateProfile cmd;
  cmd.username = body->OptionalString("username");
  cmd.about_markdown = body->OptionalString("about_markdown");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  if (!api.AllowAuthRoute("profile_update", request.client_ip)) return api.Error(RateLimited());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto appended = api.deps().commands.UpdateProfile(ContextFor(*who, request), who->user_id, cmd);
  if (!appended.ok()) return api.Error(appended.error());
  return api.MutationThen(*appended, [&]() -> core::Result<std::string> {
    auto profile = api.deps().users.FindById(who->user_id);
    if (!profile.ok()) return profile.error();
    if (!profile->has_value()) return core::Internal("profile vanished");
    return projections::ProfileJson(**profile);
  });
}

}  // namespace

void RegisterProfileRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("GET", "/users/{user_id}/profile", GetProfile);
  add("PATCH", "/users/me/profile", PatchProfile);
}

}  // namespace filament::api
