#include "commands/guild/roles.hpp"

#include <set>

namespace filament::commands {
namespace {

constexpr size_t kMaxRoleNameBytes = 32;

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

core::Result<Effective> RequireRoleManager(const GuildState& guild, const Actor& actor) {
  return RequireGuildPermission(guild, actor, Permission::kManageWorkspaceRoles);
}

// The role `raw` names: kInvalidArgument (not a ULID), kNotFound (unknown).
core::Result<std::string> KnownRole(const GuildState& guild, std::string_view raw) {
  auto id = ParseUlidId(raw);
  if (!id.ok()) return id.error();
  if (guild.authz.roles.count(*id) == 0) return core::NotFound("unknown role");
  return id;
}

}  // namespace

core::Result<std::string> NormalizeRoleName(std::string_view raw) {
  std::string_view name = Trim(raw);
  if (name.empty() || name.size() > kMaxRoleNameBytes) {
    return core::InvalidArgument("role name must be 1..32 bytes");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return core::InvalidArgument("role name has a control character");
  }
  if (EqualsIgnoringCase(name, "@everyone") || EqualsIgnoringCase(name, "workspace_owner")) {
    return core::InvalidArgument("reserved role name");
  }
  return std::string(name);
}

core::Result<std::string> NormalizeColorHex(std::string_view raw) {
  std::string_view color = Trim(raw);
  if (color.size() != 7 || color[0] != '#') return core::InvalidArgument("color_hex is #RRGGBB");
  std::string out = "#";
  for (char c : color.substr(1)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return core::InvalidArgument("color_hex is #RRGGBB");
    }
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

core::Result<GuildEvents> Decide(const GuildState& guild, const CreateRole& cmd) {
  auto actor = RequireRoleManager(guild, cmd.actor);
  if (!actor.ok()) return actor.error();
  auto name = NormalizeRoleName(cmd.name);
  if (!name.ok()) return name.error();
  std::optional<std::string> color;
  if (cmd.color_hex) {
    auto normalized = NormalizeColorHex(*cmd.color_hex);
    if (!normalized.ok()) return normalized.error();
    color = *normalized;
  }
  if (cmd.position && (*cmd.position < 0 || *cmd.position > INT32_MAX)) {
    return core::InvalidArgument("position out of range");
  }
  if (guild.authz.roles.size() >= kMaxGuildRoles) return QuotaExceeded("64 roles per guild");
  const bool owner = cmd.actor.server_owner || IsWorkspaceOwner(guild.authz, cmd.actor.user_id);
  const int32_t highest =
      cmd.actor.server_owner ? INT32_MAX : HighestPosition(guild.authz, cmd.actor.user_id);
  if (!owner && cmd.position && *cmd.position >= highest) {
    return core::PermissionDenied("position not below the actor's highest role");
  }
  int64_t position = cmd.position.value_or(std::max<int64_t>(int64_t{highest} - 1, 1));
  return GuildEvents{events::RoleCreated{.guild_id = cmd.guild_id,
                                         .role_id = cmd.role_id,
                                         .name = *name,
                                         .position = position,
                                         .permissions = PermissionNameList(cmd.permissions),
                                         .color_hex = color,
                                         .created_at_unix = cmd.now_unix}};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const UpdateRole& cmd) {
  auto id = ParseUlidId(cmd.role_id);
  if (!id.ok()) return id.error();
  auto actor = RequireRoleManager(guild, cmd.actor);
  if (!actor.ok()) return actor.error();
  if (!cmd.name && !cmd.permissions && !cmd.color_present) {
    return core::InvalidArgument("nothing to update");
  }
  events::RoleUpdated out{
      .guild_id = cmd.guild_id, .role_id = *id, .updated_at_unix = cmd.now_unix};
  if (cmd.name) {
    auto name = NormalizeRoleName(*cmd.name);
    if (!name.ok()) return name.error();
    out.name = *name;
  }
  if (cmd.color_present && cmd.color_hex) {
    auto color = NormalizeColorHex(*cmd.color_hex);
    if (!color.ok()) return color.error();
    out.color_hex = *color;
  } else if (cmd.color_present) {
    out.color_cleared = true;
  }
  if (cmd.permissions) out.permissions = PermissionNameList(*cmd.permissions);
  if (guild.authz.roles.count(*id) == 0) return core::NotFound("unknown role");
  if (!CanManageRole(guild.authz, cmd.actor, *id)) {
    return core::PermissionDenied("role not manageable");
  }
  return GuildEvents{std::move(out)};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const DeleteRole& cmd) {
  auto id = ParseUlidId(cmd.role_id);
  if (!id.ok()) return id.error();
  auto actor = RequireRoleManager(guild, cmd.actor);
  if (!actor.ok()) return actor.error();
  auto role = KnownRole(guild, *id);
  if (!role.ok()) return role.error();
  if (IsSystemRole(guild.authz, *id)) return core::PermissionDenied("system role");
  if (!CanManageRole(guild.authz, cmd.actor, *id)) {
    return core::PermissionDenied("role not manageable");
  }
  return GuildEvents{events::RoleDeleted{cmd.guild_id, *id, cmd.now_unix}};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const ReorderRoles& cmd) {
  if (cmd.role_ids.empty() || cmd.role_ids.size() > kMaxGuildRoles) {
    return core::InvalidArgument("role_ids must hold 1..64 ids");
  }
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& raw : cmd.role_ids) {
    auto id = ParseUlidId(raw);
    if (!id.ok()) return id.error();
    if (!seen.insert(*id).second) return core::InvalidArgument("duplicate role id");
    ids.push_back(*id);
  }
  auto actor = RequireRoleManager(guild, cmd.actor);
  if (!actor.ok()) return actor.error();
  for (const auto& id : ids) {
    if (guild.authz.roles.count(id) == 0) return core::InvalidArgument("unknown role");
  }
  for (const auto& id : ids) {
    if (IsSystemRole(guild.authz, id) || !CanManageRole(guild.authz, cmd.actor, id)) {
      return core::PermissionDenied("role not manageable");
    }
  }
  return GuildEvents{events::RolesReordered{cmd.guild_id, std::move(ids), cmd.now_unix}};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const SetDefaultJoinRole& cmd) {
  std::optional<std::string> id;
  if (cmd.role_id) {
    auto parsed = ParseUlidId(*cmd.role_id);
    if (!parsed.ok()) return parsed.error();
    id = *parsed;
  }
  auto actor = RequireRoleManager(guild, cmd.actor);
  if (!actor.ok()) return actor.error();
  if (id) {
    if (guild.authz.roles.count(*id) == 0) return core::InvalidArgument("unknown role");
    if (IsSystemRole(guild.authz, *id) || !CanManageRole(guild.authz, cmd.actor, *id)) {
      return core::PermissionDenied("role not manageable");
    }
  }
  return GuildEvents{events::DefaultJoinRoleSet{cmd.guild_id, id, cmd.now_unix}};
}

}  // namespace filament::commands
