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

void LoadRolesAndMember(pqxx::dbtransaction& tx, const std::string& guild_id,
                        const std::string& user_id, commands::GuildAuthz& authz) {
  for (const auto& r :
       tx.exec_params("SELECT role_id, position, system_key, permissions FROM guild_roles "
                      "WHERE guild_id = $1",
                      guild_id)) {
    auto id = r[0].as<std::string>();
    authz.roles[id] = commands::RoleFacts{
        id, r[1].as<int32_t>(), r[2].as<std::string>(),
        commands::PermissionSet::FromBits(static_cast<uint64_t>(r[3].as<int64_t>()))};
  }
  auto member =
      tx.exec_params("SELECT legacy_role FROM guild_members WHERE guild_id = $1 AND user_id = $2",
                     guild_id, user_id);
  if (!member.empty()) {
    auto& facts = authz.members[user_id];
    facts.legacy_role = commands::ParseLegacyRole(member[0][0].as<std::string>())
                            .value_or(commands::LegacyRole::kMember);
    for (const auto& r : tx.exec_params(
             "SELECT role_id FROM guild_role_assignments WHERE guild_id = $1 AND user_id = $2",
             guild_id, user_id)) {
      facts.assigned_role_ids.insert(r[0].as<std::string>());
    }
  }
  if (!tx.exec_params("SELECT 1 FROM guild_bans WHERE guild_id = $1 AND user_id = $2", guild_id,
                      user_id)
           .empty()) {
    authz.banned_user_ids.insert(user_id);
  }
}

void LoadChannels(pqxx::dbtransaction& tx, const std::string& guild_id, const std::string& user_id,
                  GuildView& view) {
  for (const auto& r :
       tx.exec_params("SELECT channel_id, name, kind FROM channels WHERE guild_id = $1 "
                      "ORDER BY channel_id",
                      guild_id)) {
    view.channels.push_back(
        {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
    view.authz.channels[view.channels.back().channel_id];
  }
  for (const auto& r :
       tx.exec_params("SELECT o.channel_id, o.target_kind, o.target_id, o.allow_bits, o.deny_bits "
                      "FROM channel_overrides o JOIN channels c ON c.channel_id = o.channel_id "
                      "WHERE c.guild_id = $1 AND (o.target_kind = 'role' OR o.target_id = $2)",
                      guild_id, user_id)) {
    commands::OverrideFacts facts{
        commands::PermissionSet::FromBits(static_cast<uint64_t>(r[3].as<int64_t>())),
        commands::PermissionSet::FromBits(static_cast<uint64_t>(r[4].as<int64_t>()))};
    auto& channel = view.authz.channels[r[0].as<std::string>()];
    auto& layer =
        r[1].as<std::string>() == "role" ? channel.role_overrides : channel.member_overrides;
    layer[r[2].as<std::string>()] = facts;
  }
}

}  // namespace

core::Result<std::vector<GuildRow>> GuildQueries::ListForMember(const std::string& user_id,
                                                                int limit) {
  using Out = core::Result<std::vector<GuildRow>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    return ToGuildRows(
        tx.exec_params("SELECT g.guild_id, g.name, g.visibility FROM guild_members m "
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
    pqxx::read_transaction tx(c);
    return ToGuildRows(
        tx.exec_params("SELECT guild_id, name, visibility FROM guilds WHERE visibility = 'public' "
                       "AND name_lower LIKE '%' || $1 || '%' ORDER BY guild_id DESC LIMIT $2",
                       LikeLiteral(query_lower), limit));
  });
}

core::Result<std::optional<GuildView>> GuildQueries::LoadForUser(const std::string& guild_id,
                                                                 const std::string& user_id) {
  using Out = core::Result<std::optional<GuildView>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);  // one snapshot for every table
    auto guild = tx.exec_params(
        "SELECT guild_id, name, visibility, everyone_role_id, owner_role_id, "
        "moderator_role_id, member_role_id FROM guilds WHERE guild_id = $1",
        guild_id);
    if (guild.empty()) return std::optional<GuildView>{};
    GuildView view;
    const auto& g = guild[0];
    view.guild = {g[0].as<std::string>(), g[1].as<std::string>(), g[2].as<std::string>()};
    view.authz.everyone_role_id = g[3].as<std::string>();
    view.authz.owner_role_id = g[4].as<std::string>();
    view.authz.moderator_role_id = g[5].as<std::string>();
    view.authz.member_role_id = g[6].as<std::string>();
    LoadRolesAndMember(tx, guild_id, user_id, view.authz);
    LoadChannels(tx, guild_id, user_id, view);
    return std::optional<GuildView>{std::move(view)};
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
