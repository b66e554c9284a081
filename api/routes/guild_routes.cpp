#include <nlohmann/json.hpp>

#include "api/routes/governance_helpers.hpp"
#include "api/routes/route_helpers.hpp"
#include "commands/guild/channels.hpp"
#include "commands/guild/workspace.hpp"
#include "commands/permissions.hpp"
#include "projections/guilds/guilds_projection.hpp"

namespace filament::api {
namespace {

constexpr int kMaxGuildList = 200;
constexpr int kMaxChannelList = 500;

std::string GuildListJson(const std::vector<projections::GuildRow>& guilds) {
  std::string out = R"({"guilds":[)";
  for (size_t i = 0; i < guilds.size(); ++i) {
    if (i != 0) out += ',';
    out += projections::GuildJson(guilds[i]);
  }
  return out + "]}";
}

// Loads the guild for `user_id` and checks membership. Member-gated routes answer 403 for an
// unknown guild too, so they are no existence oracle (contract §9).
core::Result<projections::GuildView> LoadMemberView(ApiHandler& api, const std::string& guild_id,
                                                    const std::string& user_id) {
  auto view = api.deps().guilds.LoadForUser(guild_id, user_id);
  if (!view.ok()) return view.error();
  if (!view->has_value()) return core::PermissionDenied("unknown guild");
  auto member = commands::EvaluateGuild((*view)->authz, user_id);
  if (!member.ok()) return member.error();
  return std::move(**view);
}

http::HttpResponse CreateGuild(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string name = body->RequiredString("name");
  auto visibility = body->OptionalEnum("visibility", {"private", "public"});
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto appended = api.deps().commands.CreateGuild(ContextFor(*who, request), name,
                                                  visibility.value_or("private"));
  if (!appended.ok()) return api.Error(appended.error());
  const auto& created = std::get<events::GuildCreated>(appended->events.at(0));
  return api.Mutation(*appended,
                      projections::GuildJson({created.guild_id, created.name, created.visibility}));
}

http::HttpResponse ListGuilds(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto guilds = api.deps().guilds.ListForMember(who->user_id, kMaxGuildList);
  if (!guilds.ok()) return api.Error(guilds.error());
  return api.Json(200, GuildListJson(*guilds));
}

http::HttpResponse ListPublicGuilds(ApiHandler& api, RouteRequest& request) {
  auto query = QueryParams::Parse(request.http.query);
  if (!query.ok()) return api.Error(query.error());
  auto q = query->Get("q");
  auto limit = query->GetInt("limit");
  if (!q.ok()) return api.Error(q.error());
  if (!limit.ok()) return api.Error(limit.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  int64_t page = limit->value_or(20);
  if (page < 1 || page > 50) return api.Error(core::InvalidArgument("limit must be 1..50"));
  std::string needle = q->value_or("");
  needle.erase(0, needle.find_first_not_of(" \t\r\n"));
  needle.erase(needle.find_last_not_of(" \t\r\n") + 1);
  if (needle.size() > 64) return api.Error(core::InvalidArgument("q over 64 bytes"));
  for (char& c : needle) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  auto guilds = api.deps().guilds.ListPublic(needle, static_cast<int>(page));
  if (!guilds.ok()) return api.Error(guilds.error());
  return api.Json(200, GuildListJson(*guilds));
}

http::HttpResponse JoinGuild(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  if (!api.AllowDirectoryJoin(request.client_ip, who->user_id)) return api.Error(RateLimited());
  std::string guild_id(request.match.Param("guild_id"));
  auto ip_ban = ObserveJoin(api, request, *who, guild_id);
  if (!ip_ban.ok()) return api.Error(ip_ban.error());
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::JoinGuild{guild_id, who->user_id, m.NowUnix(), *ip_ban};
      });
  if (!appended.ok()) return api.Error(appended.error());
  std::string outcome = "accepted";
  if (const auto* recorded = std::get_if<events::DirectoryJoinRecorded>(&appended->events.at(0))) {
    if (auto rejection = commands::JoinRejection(recorded->outcome)) {
      api.MutationNow(*appended, "");  // the audit trail shows the rejection once answered
      return api.Error(*rejection);
    }
    outcome = recorded->outcome;  // already_member
  }
  nlohmann::ordered_json out;
  out["guild_id"] = guild_id;
  out["outcome"] = outcome;
  return api.Mutation(*appended, out.dump());
}

http::HttpResponse CreateChannel(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string name = body->RequiredString("name");
  auto kind = body->OptionalEnum("kind", {"text", "voice"});
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id(request.match.Param("guild_id"));
  if (auto refused = IpBanGate(api, request, *who, guild_id)) return *refused;
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::CreateChannel{guild_id,     m.NewId(),  name, kind.value_or("text"),
                                       who->user_id, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  const auto& created = std::get<events::ChannelCreated>(appended->events.at(0));
  return api.Mutation(*appended,
                      projections::ChannelJson({created.channel_id, created.name, created.kind}));
}

http::HttpResponse ListChannels(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  if (auto refused = IpBanGate(api, request, *who, std::string(request.match.Param("guild_id")))) {
    return *refused;
  }
  auto view = LoadMemberView(api, std::string(request.match.Param("guild_id")), who->user_id);
  if (!view.ok()) return api.Error(view.error());
  std::string out = R"({"channels":[)";
  int listed = 0;
  for (const auto& channel : view->channels) {
    auto effective = commands::EvaluateChannel(view->authz, who->user_id, channel.channel_id);
    if (!effective.ok() || !effective->permissions.Has(commands::Permission::kCreateMessage)) {
      continue;
    }
    if (listed++ != 0) out += ',';
    out += projections::ChannelJson(channel);
    if (listed == kMaxChannelList) break;
  }
  return api.Json(200, out + "]}");
}

http::HttpResponse ChannelPermissionsSelf(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  if (auto refused = IpBanGate(api, request, *who, std::string(request.match.Param("guild_id")))) {
    return *refused;
  }
  auto effective = api.deps().guilds.VisibleChannelAccess(
      std::string(request.match.Param("guild_id")), std::string(request.match.Param("channel_id")),
      who->user_id);
  if (!effective.ok()) return api.Error(effective.error());
  nlohmann::ordered_json out;
  out["role"] = commands::LegacyRoleName(effective->role);
  out["permissions"] = nlohmann::json::array();
  for (auto name : effective->permissions.Names()) out["permissions"].push_back(name);
  return api.Json(200, out.dump());
}

}  // namespace

void RegisterGuildRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("POST", "/guilds", CreateGuild);
  add("GET", "/guilds", ListGuilds);
  add("GET", "/guilds/public", ListPublicGuilds);
  add("POST", "/guilds/{guild_id}/join", JoinGuild);
  add("POST", "/guilds/{guild_id}/channels", CreateChannel);
  add("GET", "/guilds/{guild_id}/channels", ListChannels);
  add("GET", "/guilds/{guild_id}/channels/{channel_id}/permissions/self", ChannelPermissionsSelf);
}

}  // namespace filament::api
