#include <nlohmann/json.hpp>

#include "api/routes/governance_helpers.hpp"
#include "commands/guild/roles.hpp"

// Workspace roles (contract §4.7).
namespace filament::api {
namespace {

std::string GuildIdOf(const RouteRequest& request) {
  return std::string(request.match.Param("guild_id"));
}

// Runs `make` on the guild stream for the authenticated caller and answers {"accepted":true}.
template <typename Make>
http::HttpResponse Accepted(ApiHandler& api, RouteRequest& request, const Principal& who,
                            Make&& make) {
  auto appended = api.deps().commands.OnGuild(ContextFor(who, request), GuildIdOf(request),
                                              std::forward<Make>(make));
  if (!appended.ok()) return api.Error(appended.error());
  return api.Mutation(*appended, AcceptedJson());
}

http::HttpResponse ListRoles(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto view = LoadReadableGuild(api, GuildIdOf(request), ActorFor(api, *who));
  if (!view.ok()) return api.Error(view.error());
  auto page = api.deps().guilds.ListRoles(GuildIdOf(request));
  if (!page.ok()) return api.Error(page.error());
  std::string out = R"({"roles":[)";
  for (size_t i = 0; i < page->roles.size(); ++i) {
    if (i != 0) out += ',';
    out += projections::RoleJson(page->roles[i]);
  }
  out += R"(],"default_join_role_id":)";
  out += page->default_join_role_id ? nlohmann::json(*page->default_join_role_id).dump() : "null";
  return api.Json(200, out + "}");
}

http::HttpResponse CreateRole(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string name = body->RequiredString("name");
  auto permissions = RequiredPermissions(*body, "permissions");
  auto position = body->OptionalInt("position", INT32_MIN, INT32_MAX);
  auto color = body->NullableString("color_hex");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  commands::Actor actor = ActorFor(api, *who);
  std::optional<std::string> color_hex;
  if (color.has_value()) color_hex = color.value;
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::CreateRole{
            guild_id, actor,     m.NewId(),  name, PermissionSetOf(permissions),
            position, color_hex, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  const auto& e = std::get<events::RoleCreated>(appended->events.at(0));
  return api.Mutation(
      *appended, projections::RoleJson({e.role_id, e.name, static_cast<int32_t>(e.position), false,
                                        PermissionSetOf(e.permissions), e.color_hex}));
}

http::HttpResponse UpdateRole(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  auto name = body->OptionalString("name");
  auto permissions = OptionalPermissions(*body, "permissions");
  auto color = body->NullableString("color_hex");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  std::string role_id(request.match.Param("role_id"));
  commands::Actor actor = ActorFor(api, *who);
  commands::UpdateRole cmd{guild_id,     actor,           role_id,      name,
                           std::nullopt, !color.absent(), std::nullopt, 0};
  if (permissions) cmd.permissions = PermissionSetOf(*permissions);
  if (color.has_value()) cmd.color_hex = color.value;
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        cmd.now_unix = m.NowUnix();
        return cmd;
      });
  if (!appended.ok()) return api.Error(appended.error());
  std::string canonical = std::get<events::RoleUpdated>(appended->events.at(0)).role_id;
  return MutationThen(api, *appended, [&]() -> core::Result<std::string> {
    auto page = api.deps().guilds.ListRoles(guild_id);
    if (!page.ok()) return page.error();
    for (const auto& role : page->roles) {
      if (role.role_id == canonical) return projections::RoleJson(role);
    }
    return core::NotFound("unknown role");
  });
}

http::HttpResponse DeleteRole(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string role_id(request.match.Param("role_id"));
  commands::Actor actor = ActorFor(api, *who);
  return Accepted(api, request, *who, [&](commands::Minter& m) {
    return commands::DeleteRole{GuildIdOf(request), actor, role_id, m.NowUnix()};
  });
}

http::HttpResponse ReorderRoles(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  auto role_ids = body->RequiredStringArray("role_ids");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  commands::Actor actor = ActorFor(api, *who);
  return Accepted(api, request, *who, [&](commands::Minter& m) {
    return commands::ReorderRoles{GuildIdOf(request), actor, role_ids, m.NowUnix()};
  });
}

http::HttpResponse SetDefaultJoinRole(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  auto role = body->NullableString("role_id");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  commands::Actor actor = ActorFor(api, *who);
  std::optional<std::string> role_id;
  if (role.has_value()) role_id = role.value;
  return Accepted(api, request, *who, [&](commands::Minter& m) {
    return commands::SetDefaultJoinRole{GuildIdOf(request), actor, role_id, m.NowUnix()};
  });
}

template <typename Command>
http::HttpResponse Assignment(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string role_id(request.match.Param("role_id"));
  std::string user_id(request.match.Param("user_id"));
  commands::Actor actor = ActorFor(api, *who);
  return Accepted(api, request, *who, [&](commands::Minter& m) {
    return Command{GuildIdOf(request), actor, role_id, user_id, m.NowUnix()};
  });
}

}  // namespace

void RegisterRoleRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("GET", "/guilds/{guild_id}/roles", ListRoles);
  add("POST", "/guilds/{guild_id}/roles", CreateRole);
  add("PATCH", "/guilds/{guild_id}/roles/{role_id}", UpdateRole);
  add("DELETE", "/guilds/{guild_id}/roles/{role_id}", DeleteRole);
  add("POST", "/guilds/{guild_id}/roles/reorder", ReorderRoles);
  add("POST", "/guilds/{guild_id}/roles/default", SetDefaultJoinRole);
  add("POST", "/guilds/{guild_id}/roles/{role_id}/members/{user_id}",
      Assignment<commands::AssignRole>);
  add("DELETE", "/guilds/{guild_id}/roles/{role_id}/members/{user_id}",
      Assignment<commands::UnassignRole>);
}

}  // namespace filament::api
