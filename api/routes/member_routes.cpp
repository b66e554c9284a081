#include <nlohmann/json.hpp>

#include "api/routes/governance_helpers.hpp"
#include "api/routes/voice_routes.hpp"
#include "commands/guild/members.hpp"
#include "commands/guild/overrides.hpp"
#include "commands/guild/workspace.hpp"
#include "projections/users/users_projection.hpp"

// PATCH /guilds/{g}, members and moderation (§4.6), channel overrides (§4.10).
namespace filament::api {
namespace {

constexpr int64_t kDefaultMemberPage = 50;
constexpr int64_t kMaxMemberPage = 200;

std::string GuildIdOf(const RouteRequest& request) {
  return std::string(request.match.Param("guild_id"));
}

http::HttpResponse UpdateGuild(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  auto name = body->OptionalString("name");
  auto visibility = body->OptionalEnum("visibility", {"private", "public"});
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  commands::Actor actor = ActorFor(api, *who);
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::UpdateGuild{guild_id, actor, name, visibility, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return MutationThen(api, *appended, [&]() -> core::Result<std::string> {
    auto view = api.deps().guilds.LoadForUser(guild_id, who->user_id);
    if (!view.ok()) return view.error();
    if (!view->has_value()) return core::NotFound("unknown guild");
    return projections::GuildJson((*view)->guild);
  });
}

http::HttpResponse ListMembers(ApiHandler& api, RouteRequest& request) {
  auto query = QueryParams::Parse(request.http.query);
  if (!query.ok()) return api.Error(query.error());
  if (auto status = query->RejectUnknown({"cursor", "limit"}); !status.ok()) {
    return api.Error(status.error());
  }
  auto cursor = query->Get("cursor");
  auto limit = query->GetInt("limit");
  if (!cursor.ok()) return api.Error(cursor.error());
  if (!limit.ok()) return api.Error(limit.error());
  std::optional<std::string> after;
  if (*cursor) {
    auto id = commands::ParseUlidId(**cursor);
    if (!id.ok()) return api.Error(id.error());
    after = *id;
  }
  int64_t page = limit->value_or(kDefaultMemberPage);
  if (page < 1 || page > kMaxMemberPage) return api.Error(core::InvalidArgument("limit 1..200"));
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto view = LoadReadableGuild(api, GuildIdOf(request), ActorFor(api, *who));
  if (!view.ok()) return api.Error(view.error());
  auto members = api.deps().guilds.ListMembers(GuildIdOf(request), after, static_cast<int>(page));
  if (!members.ok()) return api.Error(members.error());
  nlohmann::ordered_json out;
  out["members"] = nlohmann::json::array();
  for (const auto& m : *members) {
    out["members"].push_back({{"user_id", m.user_id}, {"role_ids", m.role_ids}});
  }
  out["next_cursor"] = static_cast<int64_t>(members->size()) == page
                           ? nlohmann::json(members->back().user_id)
                           : nlohmann::json(nullptr);
  return api.Json(200, out.dump());
}

http::HttpResponse AddMember(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  std::string target(request.match.Param("user_id"));
  bool exists = true;
  if (auto id = commands::ParseUlidId(target); id.ok()) {
    auto profile = api.deps().users.FindById(*id);
    if (!profile.ok()) return api.Error(profile.error());
    exists = profile->has_value();
  }
  commands::Actor actor = ActorFor(api, *who);
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::AddMember{guild_id, actor, target, exists, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return api.Mutation(*appended, AcceptedJson());
}

http::HttpResponse ChangeMemberRole(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string role = body->RequiredEnum("role", {"owner", "moderator", "member"});
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  std::string target(request.match.Param("user_id"));
  commands::Actor actor = ActorFor(api, *who);
  auto legacy = commands::ParseLegacyRole(role).value_or(commands::LegacyRole::kMember);
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::ChangeMemberRole{guild_id, actor, target, legacy, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return api.Mutation(*appended, AcceptedJson());
}

template <typename Command>
http::HttpResponse Moderate(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  std::string target(request.match.Param("user_id"));
  commands::Actor actor = ActorFor(api, *who);
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return Command{guild_id, actor, target, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  EndVoiceOfRemovedMembers(api.deps().commands, ContextFor(*who, request), *appended);
  return api.Mutation(*appended, AcceptedJson());
}

struct AllowDeny {
  commands::PermissionSet allow, deny;
};

core::Result<AllowDeny> ParseAllowDeny(const RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return body.error();
  auto allow = RequiredPermissions(*body, "allow");
  auto deny = RequiredPermissions(*body, "deny");
  if (auto status = body->Finish(); !status.ok()) return status.error();
  return AllowDeny{PermissionSetOf(allow), PermissionSetOf(deny)};
}

http::HttpResponse SetLegacyOverride(ApiHandler& api, RouteRequest& request) {
  auto role = commands::ParseLegacyRole(request.match.Param("role"));
  if (!role) return api.Error(core::InvalidArgument("role path segment", kReasonMalformed));
  auto sets = ParseAllowDeny(request);
  if (!sets.ok()) return api.Error(sets.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  std::string channel_id(request.match.Param("channel_id"));
  if (auto refused = IpBanGate(api, request, *who, guild_id)) return *refused;
  commands::Actor actor = ActorFor(api, *who);
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::SetLegacyOverride{guild_id,    channel_id, actor,      *role,
                                           sets->allow, sets->deny, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return api.Mutation(*appended, AcceptedJson());
}

http::HttpResponse SetPermissionOverride(ApiHandler& api, RouteRequest& request) {
  std::string kind(request.match.Param("target_kind"));
  if (kind != "role" && kind != "member") {
    return api.Error(core::InvalidArgument("target_kind path segment", kReasonMalformed));
  }
  auto sets = ParseAllowDeny(request);
  if (!sets.ok()) return api.Error(sets.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  std::string channel_id(request.match.Param("channel_id"));
  if (auto refused = IpBanGate(api, request, *who, guild_id)) return *refused;
  std::string target(request.match.Param("target_id"));
  commands::Actor actor = ActorFor(api, *who);
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::SetPermissionOverride{guild_id, channel_id,  actor,      kind,
                                               target,   sets->allow, sets->deny, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return api.Mutation(*appended, AcceptedJson());
}

}  // namespace

void RegisterMemberRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("PATCH", "/guilds/{guild_id}", UpdateGuild);
  add("GET", "/guilds/{guild_id}/members", ListMembers);
  add("POST", "/guilds/{guild_id}/members/{user_id}", AddMember);
  add("PATCH", "/guilds/{guild_id}/members/{user_id}", ChangeMemberRole);
  add("POST", "/guilds/{guild_id}/members/{user_id}/kick", Moderate<commands::KickMember>);
  add("POST", "/guilds/{guild_id}/members/{user_id}/ban", Moderate<commands::BanMember>);
  add("POST", "/guilds/{guild_id}/channels/{channel_id}/overrides/{role}", SetLegacyOverride);
  add("POST",
      "/guilds/{guild_id}/channels/{channel_id}/permission-overrides/{target_kind}/{target_id}",
      SetPermissionOverride);
}

}  // namespace filament::api
