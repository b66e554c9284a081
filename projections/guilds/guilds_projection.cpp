#include "projections/guilds/guilds_projection.hpp"

#include <nlohmann/json.hpp>

#include "adapters/pgstore/connection_pool.hpp"
#include "projections/decode_record.hpp"
#include "projections/guilds/governance_projection.hpp"
#include "projections/sql_script.hpp"

namespace filament::projections {
namespace {

using commands::PermissionSet;

using std::to_string;

void InsertRole(SqlScript& out, pqxx::dbtransaction& tx, const events::GuildCreated& e,
                const std::string& id, const char* name, int position, bool is_system,
                const char* key, PermissionSet permissions) {
  out.Add(tx,
          "INSERT INTO guild_roles (guild_id, role_id, name, position, is_system, system_key, "
          "permissions, color_hex, created_at_unix) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)",
          {e.guild_id, id, name, to_string(position), is_system ? "true" : "false", key,
           to_string(static_cast<int64_t>(permissions.bits())), to_string(e.created_at_unix)});
}

void ApplyGuildCreated(SqlScript& out, pqxx::dbtransaction& tx, const events::GuildCreated& e) {
  std::string lower = e.name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.Add(tx,
          "INSERT INTO guilds (guild_id, name, name_lower, visibility, creator_user_id, "
          "everyone_role_id, owner_role_id, moderator_role_id, member_role_id, created_at_unix) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
          {e.guild_id, e.name, lower, e.visibility, e.creator_user_id, e.everyone_role_id,
           e.owner_role_id, e.moderator_role_id, e.member_role_id, to_string(e.created_at_unix)});
  InsertRole(out, tx, e, e.everyone_role_id, "@everyone", 0, true, "everyone",
             commands::EveryoneDefaultPermissions());
  InsertRole(out, tx, e, e.owner_role_id, "workspace_owner", 10000, true, "workspace_owner",
             PermissionSet::All());
  InsertRole(out, tx, e, e.moderator_role_id, "moderator", 100, false, "moderator",
             commands::ModeratorRolePermissions());
  InsertRole(out, tx, e, e.member_role_id, "member", 1, false, "member",
             commands::MemberRolePermissions());
  out.Add(tx,
          "INSERT INTO guild_members (guild_id, user_id, legacy_role, joined_at_unix) "
          "VALUES ($1, $2, 'owner', $3)",
          {e.guild_id, e.creator_user_id, to_string(e.created_at_unix)});
  out.Add(tx, "INSERT INTO guild_role_assignments (guild_id, user_id, role_id) VALUES ($1, $2, $3)",
          {e.guild_id, e.creator_user_id, e.owner_role_id});
}

void ApplyJoined(SqlScript& out, pqxx::dbtransaction& tx, const events::MemberJoined& e) {
  out.Add(tx,
          "INSERT INTO guild_members (guild_id, user_id, legacy_role, joined_at_unix) "
          "VALUES ($1, $2, $3, $4)",
          {e.guild_id, e.user_id, e.role, to_string(e.joined_at_unix)});
  if (e.default_role_id) {
    out.Add(tx,
            "INSERT INTO guild_role_assignments (guild_id, user_id, role_id) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING",
            {e.guild_id, e.user_id, *e.default_role_id});
  }
}

// The frequent events, as buffered statements; false for the others.
bool Buffer(SqlScript& out, pqxx::dbtransaction& tx, const events::Event& event) {
  if (const auto* e = std::get_if<events::GuildCreated>(&event)) {
    ApplyGuildCreated(out, tx, *e);
  } else if (const auto* e = std::get_if<events::ChannelCreated>(&event)) {
    out.Add(tx,
            "INSERT INTO channels (channel_id, guild_id, name, kind, created_at_unix) "
            "VALUES ($1, $2, $3, $4, $5)",
            {e->channel_id, e->guild_id, e->name, e->kind, to_string(e->created_at_unix)});
  } else if (const auto* e = std::get_if<events::MemberJoined>(&event)) {
    ApplyJoined(out, tx, *e);
  } else if (const auto* e = std::get_if<events::MemberRemoved>(&event)) {
    for (const char* table : {"guild_members", "guild_role_assignments"}) {
      out.Add(tx, std::string("DELETE FROM ") + table + " WHERE guild_id = $1 AND user_id = $2",
              {e->guild_id, e->user_id});
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> GuildsProjection::Tables() const {
  return {"guilds",     "guild_roles", "guild_members",     "guild_role_assignments",
          "guild_bans", "channels",    "channel_overrides", "guild_ip_bans"};
}

bool GuildsProjection::Ignores(const events::RecordMeta& meta) const {
  if (meta.stream.rfind("guild:", 0) != 0) return true;
  if (meta.type == events::GuildCreated::kType || meta.type == events::ChannelCreated::kType ||
      meta.type == events::MemberJoined::kType || meta.type == events::MemberRemoved::kType) {
    return false;  // Buffer's
  }
  bool known = false;
  bool handled = GovernanceHandles(meta.type, known);
  return known && !handled;  // an unknown type still stops the projection, in Apply
}

// Creations, joins and removals are buffered and sent once per batch (ADR 0074); any other
// event (some read the tables) first runs what is buffered, then applies directly.
core::Status GuildsProjection::Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) {
  if (Ignores(record.record.meta)) return core::OkStatus();
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  if (Buffer(script_, tx, *event)) return core::OkStatus();
  script_.Run(tx);
  ApplyGovernanceEvent(tx, *event);
  return core::OkStatus();
}

core::Status GuildsProjection::Flush(pqxx::dbtransaction& tx) {
  script_.Run(tx);
  return core::OkStatus();
}

std::string GuildJson(const GuildRow& g) {
  nlohmann::ordered_json out;
  out["guild_id"] = g.guild_id;
  out["name"] = g.name;
  out["visibility"] = g.visibility;
  return out.dump();
}

std::string ChannelJson(const ChannelRow& c) {
  nlohmann::ordered_json out;
  out["channel_id"] = c.channel_id;
  out["name"] = c.name;
  out["kind"] = c.kind;
  return out.dump();
}

}  // namespace filament::projections
