#include <nlohmann/json.hpp>

#include "adapters/pgstore/ip_observation_store.hpp"
#include "api/routes/governance_helpers.hpp"
#include "commands/guild/ip_bans.hpp"

// Guild IP bans (contract §4.8) and the IP-ban gate (§3.7). Responses never hold an address.
namespace filament::api {
namespace {

constexpr int64_t kDefaultBanPage = 20;
constexpr int64_t kMaxBanPage = 100;

std::string GuildIdOf(const RouteRequest& request) {
  return std::string(request.match.Param("guild_id"));
}

// The caller may manage the guild's IP bans: 404 unknown guild, 403 otherwise.
core::Status RequireBanReader(ApiHandler& api, const std::string& guild_id,
                              const commands::Actor& actor) {
  auto view = api.deps().guilds.LoadForUser(guild_id, actor.user_id);
  if (!view.ok()) return view.error();
  if (!view->has_value()) return core::NotFound("unknown guild");
  if (actor.server_owner) return core::OkStatus();
  auto effective = commands::EvaluateGuild((*view)->authz, actor.user_id);
  if (!effective.ok() || !effective->permissions.Has(commands::Permission::kManageIpBans)) {
    return core::PermissionDenied("no manage_ip_bans");
  }
  return core::OkStatus();
}

core::Result<std::pair<int64_t, std::string>> ParseBanCursor(const std::string& text) {
  auto bad = [] { return core::InvalidArgument("bad cursor"); };
  if (text.empty() || text.size() > 128) return bad();
  auto split = text.find('_');
  if (split == std::string::npos || split == 0 || split > 18) return bad();
  int64_t created = 0;
  for (size_t i = 0; i < split; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return bad();
    created = created * 10 + (text[i] - '0');
  }
  auto id = commands::ParseUlidId(text.substr(split + 1));
  if (!id.ok()) return bad();
  return std::make_pair(created, *id);
}

http::HttpResponse ListIpBans(ApiHandler& api, RouteRequest& request) {
  auto query = QueryParams::Parse(request.http.query);
  if (!query.ok()) return api.Error(query.error());
  if (auto s = query->RejectUnknown({"cursor", "limit"}); !s.ok()) return api.Error(s.error());
  auto cursor = query->Get("cursor");
  auto limit = query->GetInt("limit");
  if (!cursor.ok()) return api.Error(cursor.error());
  if (!limit.ok()) return api.Error(limit.error());
  int64_t page = limit->value_or(kDefaultBanPage);
  if (page < 1 || page > kMaxBanPage) return api.Error(core::InvalidArgument("limit 1..100"));
  std::optional<std::pair<int64_t, std::string>> after;
  if (*cursor) {
    auto parsed = ParseBanCursor(**cursor);
    if (!parsed.ok()) return api.Error(parsed.error());
    after = *parsed;
  }
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  if (auto s = RequireBanReader(api, guild_id, ActorFor(api, *who)); !s.ok()) {
    return api.Error(s.error());
  }
  auto bans = api.deps().guilds.ListIpBans(guild_id, after, static_cast<int>(page),
                                           api.deps().clock.NowUnix());
  if (!bans.ok()) return api.Error(bans.error());
  nlohmann::ordered_json out;
  out["bans"] = nlohmann::json::array();
  auto nullable = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  for (const auto& b : *bans) {
    out["bans"].push_back(nlohmann::ordered_json{{"ban_id", b.ban_id},
                                                 {"source_user_id", nullable(b.source_user_id)},
                                                 {"reason", nullable(b.reason)},
                                                 {"created_at_unix", b.created_at_unix},
                                                 {"expires_at_unix", nullable(b.expires_at_unix)}});
  }
  out["next_cursor"] = nullptr;
  if (!bans->empty() && static_cast<int64_t>(bans->size()) == page) {
    out["next_cursor"] = std::to_string(bans->back().created_at_unix) + "_" + bans->back().ban_id;
  }
  return api.Json(200, out.dump());
}

http::HttpResponse BanByUser(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string target = body->RequiredString("target_user_id");
  auto reason = body->OptionalString("reason");
  auto expires = body->OptionalInt("expires_in_secs");
  if (auto s = body->Finish(); !s.ok()) return api.Error(s.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  if (api.deps().ip_observations == nullptr) return api.Error(core::Unavailable("no IP store"));
  std::vector<std::string> observations;
  if (auto id = commands::ParseUlidId(target); id.ok()) {
    auto seen = api.deps().ip_observations->ObservationsOf(*id);
    if (!seen.ok()) return api.Error(seen.error());
    observations = std::move(*seen);
  }
  std::string guild_id = GuildIdOf(request);
  commands::Actor actor = ActorFor(api, *who);
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        std::vector<std::string> ids;
        for (size_t i = 0; i < observations.size(); ++i) ids.push_back(m.NewId());
        return commands::CreateIpBans{
            guild_id,   actor,        target,         reason,
            expires,    observations, std::move(ids), api.deps().limits.guild_ip_ban_max_entries,
            m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  nlohmann::ordered_json out;
  out["created_count"] = 0;
  out["ban_ids"] = nlohmann::json::array();
  if (!appended->events.empty()) {
    const auto& e = std::get<events::IpBansUpdated>(appended->events.at(0));
    out["created_count"] = e.ban_ids.size();
    out["ban_ids"] = e.ban_ids;
  }
  return api.Mutation(*appended, out.dump());
}

http::HttpResponse RemoveIpBan(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id = GuildIdOf(request);
  std::string ban_id(request.match.Param("ban_id"));
  commands::Actor actor = ActorFor(api, *who);
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::RemoveIpBan{guild_id, actor, ban_id, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return api.Mutation(*appended, AcceptedJson());
}

}  // namespace

core::Result<commands::Appended> AppendIpBanHit(commands::CommandService& commands,
                                                const commands::CommandContext& ctx,
                                                const std::string& guild_id,
                                                const std::string& ban_id) {
  return commands.OnGuild(ctx, guild_id, [&](commands::Minter& m) {
    return commands::RecordIpBanHit{guild_id, ctx.actor_user_id, ban_id, m.NowUnix()};
  });
}

std::optional<http::HttpResponse> IpBanGate(ApiHandler& api, const RouteRequest& request,
                                            const Principal& who, const std::string& guild_id) {
  return IpBanGate(api, request.client_ip, ContextFor(who, request), guild_id);
}

std::optional<http::HttpResponse> IpBanGate(ApiHandler& api, const std::string& client_ip,
                                            const commands::CommandContext& ctx,
                                            const std::string& guild_id) {
  auto* store = api.deps().ip_observations;
  if (store == nullptr) return std::nullopt;
  auto ban = store->ActiveBanFor(guild_id, client_ip, api.deps().clock.NowUnix());
  if (!ban.ok()) return api.Error(ban.error());
  if (!ban->has_value()) return std::nullopt;
  auto hit = AppendIpBanHit(api.deps().commands, ctx, guild_id, **ban);
  if (!hit.ok() && hit.error().code != core::ErrorCode::kNotFound) return api.Error(hit.error());
  if (hit.ok()) api.MutationNow(*hit, "");  // the audit trail shows the hit once answered
  return api.Error(core::PermissionDenied("address is banned"));
}

core::Result<std::optional<std::string>> ObserveJoin(ApiHandler& api, const RouteRequest& request,
                                                     const Principal& who,
                                                     const std::string& guild_id) {
  auto* store = api.deps().ip_observations;
  if (store == nullptr) return std::optional<std::string>{};
  core::UlidGenerator ids;
  const int64_t now = api.deps().clock.NowUnix();
  auto observed =
      store->Observe(who.user_id, request.client_ip, now,
                     ids.Next(static_cast<uint64_t>(api.deps().clock.NowUnixMs())).ToString());
  if (!observed.ok()) return observed.error();
  return store->ActiveBanFor(guild_id, request.client_ip, now);
}

void RegisterIpBanRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("GET", "/guilds/{guild_id}/ip-bans", ListIpBans);
  add("POST", "/guilds/{guild_id}/ip-bans/by-user", BanByUser);
  add("DELETE", "/guilds/{guild_id}/ip-bans/{ban_id}", RemoveIpBan);
}

}  // namespace filament::api
