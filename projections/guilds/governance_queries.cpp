#include <nlohmann/json.hpp>

#include "adapters/pgstore/connection_pool.hpp"
#include "projections/guilds/guilds_projection.hpp"

namespace filament::projections {

std::string RoleJson(const RoleRow& role) {
  nlohmann::ordered_json out;
  out["role_id"] = role.role_id;
  out["name"] = role.name;
  out["position"] = role.position;
  out["is_system"] = role.is_system;
  out["permissions"] = nlohmann::json::array();
  for (auto name : role.permissions.Names()) out["permissions"].push_back(name);
  out["color_hex"] = role.color_hex ? nlohmann::json(*role.color_hex) : nlohmann::json(nullptr);
  return out.dump();
}

core::Result<std::vector<MemberRow>> GuildQueries::ListMembers(
    const std::string& guild_id, const std::optional<std::string>& after, int limit) {
  using Out = core::Result<std::vector<MemberRow>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    std::vector<MemberRow> out;
    for (const auto& r : pgstore::ExecPrepared(
             c, "filament_guild_members",
             "SELECT m.user_id, COALESCE(string_agg(a.role_id, ',' ORDER BY a.role_id), '') "
             "FROM guild_members m LEFT JOIN guild_role_assignments a "
             "  ON a.guild_id = m.guild_id AND a.user_id = m.user_id "
             "WHERE m.guild_id = $1 AND m.user_id > COALESCE($2, '') "
             "GROUP BY m.user_id ORDER BY m.user_id LIMIT $3",
             guild_id, after ? after->c_str() : nullptr, limit)) {
      MemberRow row{r[0].as<std::string>(), {}};
      std::string roles = r[1].as<std::string>();
      for (size_t start = 0; start < roles.size();) {
        size_t comma = std::min(roles.find(',', start), roles.size());
        row.role_ids.push_back(roles.substr(start, comma - start));
        start = comma + 1;
      }
      out.push_back(std::move(row));
    }
    return out;
  });
}

core::Result<RolesPage> GuildQueries::ListRoles(const std::string& guild_id) {
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<RolesPage> {
    RolesPage page;
    for (const auto& r : pgstore::ExecPrepared(
             c, "filament_guild_roles",
             "SELECT role_id, name, position, is_system, permissions, color_hex FROM guild_roles "
             "WHERE guild_id = $1 ORDER BY position DESC, created_at_unix, role_id",
             guild_id)) {
      page.roles.push_back(RoleRow{
          r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int32_t>(), r[3].as<bool>(),
          commands::PermissionSet::FromBits(static_cast<uint64_t>(r[4].as<int64_t>())),
          r[5].is_null() ? std::nullopt : std::optional<std::string>(r[5].as<std::string>())});
    }
    auto guild = pgstore::ExecPrepared(
        c, "filament_guild_default_join_role",
        "SELECT default_join_role_id FROM guilds WHERE guild_id = $1", guild_id);
    if (!guild.empty() && !guild[0][0].is_null()) {
      page.default_join_role_id = guild[0][0].as<std::string>();
    }
    return page;
  });
}

core::Result<std::vector<IpBanRow>> GuildQueries::ListIpBans(
    const std::string& guild_id, const std::optional<std::pair<int64_t, std::string>>& after,
    int limit, int64_t now_unix) {
  using Out = core::Result<std::vector<IpBanRow>>;
  auto optional_text = [](const pqxx::field& f) {
    return f.is_null() ? std::nullopt : std::optional<std::string>(f.as<std::string>());
  };
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    std::vector<IpBanRow> out;
    for (const auto& r : pgstore::ExecPrepared(
             c, "filament_guild_ip_bans",
             "SELECT ban_id, source_user_id, reason, created_at_unix, expires_at_unix "
             "FROM guild_ip_bans WHERE guild_id = $1 "
             "AND (expires_at_unix IS NULL OR expires_at_unix > $2) "
             "AND ($3::bigint IS NULL OR (created_at_unix, ban_id) < ($3, $4)) "
             "ORDER BY created_at_unix DESC, ban_id DESC LIMIT $5",
             guild_id, now_unix, after ? std::to_string(after->first).c_str() : nullptr,
             after ? after->second.c_str() : "", limit)) {
      out.push_back(IpBanRow{
          r[0].as<std::string>(), optional_text(r[1]), optional_text(r[2]), r[3].as<int64_t>(),
          r[4].is_null() ? std::nullopt : std::optional<int64_t>(r[4].as<int64_t>())});
    }
    return out;
  });
}

}  // namespace filament::projections
