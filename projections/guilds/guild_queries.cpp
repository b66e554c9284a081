#include <nlohmann/json.hpp>

#include "adapters/pgstore/connection_pool.hpp"
#include "projections/guilds/guilds_projection.hpp"

namespace filament::projections {
namespace {

std::vector<GuildRow> ToGuildRows(const pqxx::result& rows) {
  std::vector<GuildRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
  }
  return out;
}

// Escapes LIKE wildcards so a directory query is a plain substring match.
std::string LikeLiteral(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// One statement for the whole view of a guild for one user: one round trip, planned once per
// connection, and one snapshot for every table (ADR 0105). Each list is a JSON array of
// arrays, in the column order the reader below expects.
constexpr const char* kLoadForUser = "filament_guild_view_for_user";
constexpr const char* kLoadForUserSql =
    "SELECT g.guild_id, g.name, g.visibility, g.everyone_role_id, g.owner_role_id, "
    "g.moderator_role_id, g.member_role_id, "
    "(SELECT coalesce(json_agg(json_build_array(r.role_id, r.position, r.system_key, "
    "r.permissions)), '[]') FROM guild_roles r WHERE r.guild_id = g.guild_id)::text, "
    "(SELECT m.legacy_role FROM guild_members m WHERE m.guild_id = g.guild_id "
    "AND m.user_id = $2), "
    "(SELECT coalesce(json_agg(a.role_id), '[]') FROM guild_role_assignments a "
    "WHERE a.guild_id = g.guild_id AND a.user_id = $2)::text, "
    "EXISTS (SELECT 1 FROM guild_bans b WHERE b.guild_id = g.guild_id AND b.user_id = $2), "
    "(SELECT coalesce(json_agg(json_build_array(c.channel_id, c.name, c.kind) "
    "ORDER BY c.channel_id), '[]') FROM channels c WHERE c.guild_id = g.guild_id)::text, "
    "(SELECT coalesce(json_agg(json_build_array(o.channel_id, o.target_kind, o.target_id, "
    "o.allow_bits, o.deny_bits)), '[]') FROM channel_overrides o "
    "JOIN channels c ON c.channel_id = o.channel_id WHERE c.guild_id = g.guild_id "
    "AND (o.target_kind = 'role' OR o.target_id = $2))::text "
    "FROM guilds g WHERE g.guild_id = $1";

commands::PermissionSet Bits(const nlohmann::json& value) {
  return commands::PermissionSet::FromBits(static_cast<uint64_t>(value.get<int64_t>()));
}

// The view from kLoadForUser's row. Throws nlohmann::json::exception on a malformed list
// (WithConnection answers kInternal).
GuildView ViewOf(const pqxx::row& g, const std::string& user_id) {
  GuildView view;
  view.guild = {g[0].as<std::string>(), g[1].as<std::string>(), g[2].as<std::string>()};
  auto& authz = view.authz;
  authz.everyone_role_id = g[3].as<std::string>();
  authz.owner_role_id = g[4].as<std::string>();
  authz.moderator_role_id = g[5].as<std::string>();
  authz.member_role_id = g[6].as<std::string>();
  for (const auto& r : nlohmann::json::parse(g[7].c_str())) {
    auto id = r.at(0).get<std::string>();
    authz.roles[id] =
        commands::RoleFacts{id, r.at(1).get<int32_t>(), r.at(2).get<std::string>(), Bits(r.at(3))};
  }
  if (!g[8].is_null()) {
    auto& facts = authz.members[user_id];
    facts.legacy_role =
        commands::ParseLegacyRole(g[8].as<std::string>()).value_or(commands::LegacyRole::kMember);
    for (const auto& id : nlohmann::json::parse(g[9].c_str())) {
      facts.assigned_role_ids.insert(id.get<std::string>());
    }
  }
  if (g[10].as<bool>()) authz.banned_user_ids.insert(user_id);
  for (const auto& c : nlohmann::json::parse(g[11].c_str())) {
    view.channels.push_back(
        {c.at(0).get<std::string>(), c.at(1).get<std::string>(), c.at(2).get<std::string>()});
    authz.channels[view.channels.back().channel_id];
  }
  for (const auto& o : nlohmann::json::parse(g[12].c_str())) {
    commands::OverrideFacts facts{Bits(o.at(3)), Bits(o.at(4))};
    auto& channel = authz.channels[o.at(0).get<std::string>()];
    auto& layer =
        o.at(1).get<std::string>() == "role" ? channel.role_overrides : channel.member_overrides;
    layer[o.at(2).get<std::string>()] = facts;
  }
  return view;
}

}  // namespace

core::Result<std::vector<GuildRow>> GuildQueries::ListForMember(const std::string& user_id,
                                                                int limit) {
  using Out = core::Result<std::vector<GuildRow>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    return ToGuildRows(
        pgstore::ExecPrepared(c, "filament_guilds_of_member",
                              "SELECT g.guild_id, g.name, g.visibility FROM guild_members m "
                              "JOIN guilds g ON g.guild_id = m.guild_id "
                              "WHERE m.user_id = $1 AND NOT EXISTS (SELECT 1 FROM guild_bans b "
                              "  WHERE b.guild_id = m.guild_id AND b.user_id = m.user_id) "
                              "ORDER BY g.guild_id DESC LIMIT $2",
                              user_id, limit));
  });
}

core::Result<std::vector<GuildRow>> GuildQueries::ListPublic(const std::string& query_lower,
                                                             int limit) {
  using Out = core::Result<std::vector<GuildRow>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    return ToGuildRows(pgstore::ExecPrepared(
        c, "filament_guilds_public",
        "SELECT guild_id, name, visibility FROM guilds WHERE visibility = 'public' "
        "AND name_lower LIKE '%' || $1 || '%' ORDER BY guild_id DESC LIMIT $2",
        LikeLiteral(query_lower), limit));
  });
}

core::Result<std::optional<GuildView>> GuildQueries::LoadForUser(const std::string& guild_id,
                                                                 const std::string& user_id) {
  using Out = core::Result<std::optional<GuildView>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    auto rows = pgstore::ExecPrepared(c, kLoadForUser, kLoadForUserSql, guild_id, user_id);
    if (rows.empty()) return std::optional<GuildView>{};
    return std::optional<GuildView>{ViewOf(rows[0], user_id)};
  });
}

core::Result<commands::Effective> GuildQueries::VisibleChannelAccess(const std::string& guild_id,
                                                                     const std::string& channel_id,
                                                                     const std::string& user_id) {
  auto view = LoadForUser(guild_id, user_id);
  if (!view.ok()) return view.error();
  if (!view->has_value()) return core::PermissionDenied("unknown guild");
  auto effective = commands::EvaluateChannel((*view)->authz, user_id, channel_id);
  if (!effective.ok()) return effective.error();
  if (!effective->permissions.Has(commands::Permission::kCreateMessage)) {
    return core::PermissionDenied("channel not visible");
  }
  return effective;
}

}  // namespace filament::projections
