#include "projections/guilds/governance_projection.hpp"

#include "commands/permissions.hpp"

// The governance events in the guild read models (tables of migration 0005). Mirrors
// commands/guild/governance_fold.cpp, so the query side evaluates permissions like the
// command side.
namespace filament::projections {
namespace {

// pqxx 6 has no std::optional parameters: a null pointer is SQL NULL.
const char* OrNull(const std::optional<std::string>& value) {
  return value ? value->c_str() : nullptr;
}

int64_t Bits(const std::vector<std::string>& names) {
  return static_cast<int64_t>(commands::PermissionsFromNames(names).bits());
}

// Contract §3.3: the legacy role follows the explicit assignments of the seeded roles.
void ResyncLegacyRole(pqxx::dbtransaction& tx, const std::string& guild_id,
                      const std::string& user_id) {
  tx.exec_params(
      "UPDATE guild_members m SET legacy_role = CASE "
      "  WHEN EXISTS (SELECT 1 FROM guild_role_assignments a WHERE a.guild_id = g.guild_id "
      "    AND a.user_id = m.user_id AND a.role_id = g.owner_role_id) THEN 'owner' "
      "  WHEN EXISTS (SELECT 1 FROM guild_role_assignments a WHERE a.guild_id = g.guild_id "
      "    AND a.user_id = m.user_id AND a.role_id = g.moderator_role_id) THEN 'moderator' "
      "  ELSE 'member' END "
      "FROM guilds g WHERE g.guild_id = m.guild_id AND m.guild_id = $1 AND m.user_id = $2",
      guild_id, user_id);
}

void Apply(pqxx::dbtransaction& tx, const events::GuildUpdated& e) {
  if (e.name) {
    std::string lower = *e.name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    tx.exec_params("UPDATE guilds SET name = $2, name_lower = $3 WHERE guild_id = $1", e.guild_id,
                   *e.name, lower);
  }
  if (e.visibility) {
    tx.exec_params("UPDATE guilds SET visibility = $2 WHERE guild_id = $1", e.guild_id,
                   *e.visibility);
  }
}

void Apply(pqxx::dbtransaction& tx, const events::MemberRoleChanged& e) {
  tx.exec_params(
      "DELETE FROM guild_role_assignments a USING guilds g WHERE g.guild_id = a.guild_id "
      "AND a.guild_id = $1 AND a.user_id = $2 "
      "AND a.role_id IN (g.owner_role_id, g.moderator_role_id, g.member_role_id)",
      e.guild_id, e.user_id);
  if (e.role != "owner") {
    tx.exec_params(
        "INSERT INTO guild_role_assignments (guild_id, user_id, role_id) "
        "SELECT g.guild_id, $2, CASE WHEN $3 = 'moderator' THEN g.moderator_role_id "
        "  ELSE g.member_role_id END FROM guilds g JOIN guild_roles r ON r.guild_id = g.guild_id "
        "  AND r.role_id = CASE WHEN $3 = 'moderator' THEN g.moderator_role_id "
        "  ELSE g.member_role_id END "
        "WHERE g.guild_id = $1 AND EXISTS (SELECT 1 FROM guild_members m "
        "  WHERE m.guild_id = $1 AND m.user_id = $2) ON CONFLICT DO NOTHING",
        e.guild_id, e.user_id, e.role);
  }
  tx.exec_params("UPDATE guild_members SET legacy_role = $3 WHERE guild_id = $1 AND user_id = $2",
                 e.guild_id, e.user_id, e.role);
}

void Apply(pqxx::dbtransaction& tx, const events::MemberRemoved& e) {
  tx.exec_params("DELETE FROM guild_members WHERE guild_id = $1 AND user_id = $2", e.guild_id,
                 e.user_id);
  tx.exec_params("DELETE FROM guild_role_assignments WHERE guild_id = $1 AND user_id = $2",
                 e.guild_id, e.user_id);
}

void Apply(pqxx::dbtransaction& tx, const events::MemberBanned& e) {
  tx.exec_params(
      "INSERT INTO guild_bans (guild_id, user_id, banned_at_unix) VALUES ($1, $2, $3) "
      "ON CONFLICT DO NOTHING",
      e.guild_id, e.user_id, e.banned_at_unix);
}

void Apply(pqxx::dbtransaction& tx, const events::RoleCreated& e) {
  tx.exec_params(
      "INSERT INTO guild_roles (guild_id, role_id, name, position, is_system, system_key, "
      "permissions, color_hex, created_at_unix) VALUES ($1, $2, $3, $4, false, '', $5, $6, $7)",
      e.guild_id, e.role_id, e.name, e.position, Bits(e.permissions), OrNull(e.color_hex),
      e.created_at_unix);
}

void Apply(pqxx::dbtransaction& tx, const events::RoleUpdated& e) {
  if (e.name) {
    tx.exec_params("UPDATE guild_roles SET name = $3 WHERE guild_id = $1 AND role_id = $2",
                   e.guild_id, e.role_id, *e.name);
  }
  if (e.permissions) {
    tx.exec_params("UPDATE guild_roles SET permissions = $3 WHERE guild_id = $1 AND role_id = $2",
                   e.guild_id, e.role_id, Bits(*e.permissions));
  }
  if (e.color_hex || e.color_cleared.value_or(false)) {
    tx.exec_params("UPDATE guild_roles SET color_hex = $3 WHERE guild_id = $1 AND role_id = $2",
                   e.guild_id, e.role_id, OrNull(e.color_hex));
  }
}

void Apply(pqxx::dbtransaction& tx, const events::RoleDeleted& e) {
  auto holders = tx.exec_params(
      "DELETE FROM guild_role_assignments WHERE guild_id = $1 AND role_id = $2 RETURNING user_id",
      e.guild_id, e.role_id);
  for (const auto& row : holders) ResyncLegacyRole(tx, e.guild_id, row[0].as<std::string>());
  tx.exec_params("DELETE FROM guild_roles WHERE guild_id = $1 AND role_id = $2", e.guild_id,
                 e.role_id);
  tx.exec_params(
      "DELETE FROM channel_overrides o USING channels c WHERE c.channel_id = o.channel_id "
      "AND c.guild_id = $1 AND o.target_kind = 'role' AND o.target_id = $2",
      e.guild_id, e.role_id);
  tx.exec_params(
      "UPDATE guilds SET default_join_role_id = NULL WHERE guild_id = $1 "
      "AND default_join_role_id = $2",
      e.guild_id, e.role_id);
}

void Apply(pqxx::dbtransaction& tx, const events::RolesReordered& e) {
  auto position = static_cast<int64_t>(e.role_ids.size());
  for (const auto& role_id : e.role_ids) {
    tx.exec_params("UPDATE guild_roles SET position = $3 WHERE guild_id = $1 AND role_id = $2",
                   e.guild_id, role_id, position--);
  }
}

void Apply(pqxx::dbtransaction& tx, const events::DefaultJoinRoleSet& e) {
  tx.exec_params("UPDATE guilds SET default_join_role_id = $2 WHERE guild_id = $1", e.guild_id,
                 OrNull(e.role_id));
}

void Apply(pqxx::dbtransaction& tx, const events::RoleAssigned& e) {
  tx.exec_params(
      "INSERT INTO guild_role_assignments (guild_id, user_id, role_id) VALUES ($1, $2, $3) "
      "ON CONFLICT DO NOTHING",
      e.guild_id, e.user_id, e.role_id);
  ResyncLegacyRole(tx, e.guild_id, e.user_id);
}

void Apply(pqxx::dbtransaction& tx, const events::RoleUnassigned& e) {
  tx.exec_params(
      "DELETE FROM guild_role_assignments WHERE guild_id = $1 AND user_id = $2 AND role_id = $3",
      e.guild_id, e.user_id, e.role_id);
  ResyncLegacyRole(tx, e.guild_id, e.user_id);
}

void Upsert(pqxx::dbtransaction& tx, const std::string& channel_id, const std::string& kind,
            const std::string& target_id, int64_t allow, int64_t deny) {
  tx.exec_params(
      "INSERT INTO channel_overrides (channel_id, target_kind, target_id, allow_bits, deny_bits) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_id, target_kind, target_id) "
      "DO UPDATE SET allow_bits = EXCLUDED.allow_bits, deny_bits = EXCLUDED.deny_bits",
      channel_id, kind, target_id, allow, deny);
}

void Apply(pqxx::dbtransaction& tx, const events::LegacyChannelOverrideSet& e) {
  Upsert(tx, e.channel_id, "role", e.role_id, Bits(e.allow), Bits(e.deny));
}

void Apply(pqxx::dbtransaction& tx, const events::ChannelPermissionOverrideSet& e) {
  Upsert(tx, e.channel_id, e.target_kind, e.target_id, Bits(e.allow), Bits(e.deny));
}

void Apply(pqxx::dbtransaction& tx, const events::IpBansUpdated& e) {
  if (e.action == "remove") {
    for (const auto& ban_id : e.ban_ids) {
      tx.exec_params("DELETE FROM guild_ip_bans WHERE ban_id = $1", ban_id);
    }
    return;
  }
  for (size_t i = 0; i < e.ban_ids.size() && i < e.observation_ids.size(); ++i) {
    tx.exec_params(
        "INSERT INTO guild_ip_bans (ban_id, guild_id, observation_id, source_user_id, reason, "
        "created_at_unix, expires_at_unix) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        e.ban_ids[i], e.guild_id, e.observation_ids[i], OrNull(e.source_user_id), OrNull(e.reason),
        e.at_unix, e.expires_at_unix ? std::to_string(*e.expires_at_unix).c_str() : nullptr);
  }
}

template <typename T>
constexpr bool kHandled = requires(pqxx::dbtransaction& tx, const T& e) {
  Apply(tx, e);
};

template <typename... T>
bool HandlesType(std::string_view type, bool& known, const std::variant<T...>* /*unused*/) {
  known = ((T::kType == type) || ...);
  return ((kHandled<T> && T::kType == type) || ...);
}

}  // namespace

bool GovernanceHandles(std::string_view type, bool& known) {
  return HandlesType(type, known, static_cast<const events::Event*>(nullptr));
}

bool ApplyGovernanceEvent(pqxx::dbtransaction& tx, const events::Event& event) {
  return std::visit(
      [&tx](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (kHandled<T>) {
          Apply(tx, e);
          return true;
        }
        return false;
      },
      event);
}

}  // namespace filament::projections
