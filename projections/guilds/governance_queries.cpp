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
    pqxx::read_transaction tx(c);
    std::vector<MemberRow> out;
    for (const auto& r : tx.exec_params(
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
    pqxx::read_transaction tx(c);
    RolesPage page;
    for (const auto& r : tx.exec_params(
             "SELECT role_id, name, position, is_system, permissions, color_hex FROM guild_roles "
             "WHERE guild_id = $1 ORDER BY position DESC, created_at_unix, role_id",
             guild_id)) {
      page.roles.push_back(RoleRow{
          r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int32_t>(), r[3].as<bool>(),
          commands::PermissionSet::FromBits(static_cast<uint64_t>(r[4].as<int64_t>())),
          r[5].is_null() ? std::nullopt : std::optional<std::string>(r[5].as<std::string>())});
    }
    auto guild =
        tx.exec_params("SELECT default_join_role_id FROM guilds WHERE guild_id = $1", guild_id);
    if (!guild.empty() && !guild[0][0].is_null()) {
      page.default_join_role_id = guild[0][0].as<std::string>();
    }
    return page;
  });
}

}  // namespace filament::projections
