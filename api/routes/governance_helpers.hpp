#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "api/routes/route_helpers.hpp"
#include "commands/guild/actor.hpp"
#include "projections/guilds/guilds_projection.hpp"

// Helpers shared by the workspace governance routes (not a public API).
namespace filament::api {

#define FILAMENT_PERMISSION_NAMES                                                                \
  {                                                                                              \
    "manage_roles", "manage_member_roles", "manage_workspace_roles", "manage_channel_overrides", \
        "delete_message", "ban_member", "view_audit_log", "manage_ip_bans", "create_message",    \
        "publish_video", "publish_screen_share", "subscribe_streams"                             \
  }

// A list of permission names (unknown names → 422, contract §2.2).
inline std::vector<std::string> RequiredPermissions(JsonObjectReader& body, std::string_view key) {
  return body.RequiredEnumArray(key, FILAMENT_PERMISSION_NAMES);
}
inline std::optional<std::vector<std::string>> OptionalPermissions(JsonObjectReader& body,
                                                                   std::string_view key) {
  return body.OptionalEnumArray(key, FILAMENT_PERMISSION_NAMES);
}

inline commands::Actor ActorFor(ApiHandler& api, const Principal& who) {
  auto owner = commands::ParseUlidId(api.ServerOwner());
  return commands::Actor{who.user_id, owner.ok() && *owner == who.user_id};
}

// Names already checked against kPermissionNames (422 otherwise).
inline commands::PermissionSet PermissionSetOf(const std::vector<std::string>& names) {
  return commands::PermissionsFromNames(names);
}

inline std::string AcceptedJson() { return R"({"accepted":true})"; }

// A mutation whose response is read from the read models once they include it (PATCH answers
// with the full current object).
inline http::HttpResponse MutationThen(ApiHandler& api, const commands::Appended& appended,
                                       const std::function<core::Result<std::string>()>& read) {
  http::HttpResponse response = api.MutationNow(appended, "");
  auto body = read();
  if (!body.ok()) return api.Error(body.error());
  response.body = std::move(*body);
  return response;
}

// A member-gated read: the guild (404 only for the server owner, else 403 for an unknown
// guild: no existence oracle) with `user_id` a non-banned member or the server owner.
inline core::Result<projections::GuildView> LoadReadableGuild(ApiHandler& api,
                                                              const std::string& guild_id,
                                                              const commands::Actor& actor) {
  auto view = api.deps().guilds.LoadForUser(guild_id, actor.user_id);
  if (!view.ok()) return view.error();
  if (!view->has_value()) {
    if (actor.server_owner) return core::NotFound("unknown guild");
    return core::PermissionDenied("unknown guild");
  }
  if (!actor.server_owner) {
    auto member = commands::EvaluateGuild((*view)->authz, actor.user_id);
    if (!member.ok()) return member.error();
  }
  return std::move(**view);
}

void RegisterMemberRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add);
// Contract §3.7: when the client IP is inside an active ban of the guild, appends an
// IpBanHit (audit moderation.ip_ban.hit) and returns the 403 to answer; else nullopt.
std::optional<http::HttpResponse> IpBanGate(ApiHandler& api, const RouteRequest& request,
                                            const Principal& who, const std::string& guild_id);
// The same for the address `client_ip` of the caller `ctx.actor_user_id`.
std::optional<http::HttpResponse> IpBanGate(ApiHandler& api, const std::string& client_ip,
                                            const commands::CommandContext& ctx,
                                            const std::string& guild_id);
// Appends the IpBanHit of `ctx.actor_user_id`, refused by `ban_id` (audit moderation.ip_ban.hit,
// the trail of a refused request, REST or gateway). Errors: OnGuild's.
core::Result<commands::Appended> AppendIpBanHit(commands::CommandService& commands,
                                                const commands::CommandContext& ctx,
                                                const std::string& guild_id,
                                                const std::string& ban_id);
// Directory join: records the caller's IP observation (throttled) and returns an active ban
// of the guild on that address, if any.
core::Result<std::optional<std::string>> ObserveJoin(ApiHandler& api, const RouteRequest& request,
                                                     const Principal& who,
                                                     const std::string& guild_id);

void RegisterIpBanRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add);
void RegisterAuditRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add);
void RegisterRoleRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add);

}  // namespace filament::api
