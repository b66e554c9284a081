#include "commands/guild/actor.hpp"

#include <algorithm>

#include "core/ulid.hpp"

namespace filament::commands {

core::Result<Effective> ActorInGuild(const GuildState& guild, const Actor& actor) {
  if (actor.server_owner) return Effective{LegacyRole::kOwner, PermissionSet::All()};
  return EvaluateGuild(guild.authz, actor.user_id);
}

core::Result<Effective> ActorInChannel(const GuildState& guild, const Actor& actor,
                                       const std::string& channel_id) {
  if (actor.server_owner) {
    if (guild.authz.channels.count(channel_id) == 0) return core::NotFound("unknown channel");
    return Effective{LegacyRole::kOwner, PermissionSet::All()};
  }
  return EvaluateChannel(guild.authz, actor.user_id, channel_id);
}

core::Result<Effective> RequireGuildPermission(const GuildState& guild, const Actor& actor,
                                               Permission needed) {
  if (!guild.exists) {
    if (actor.server_owner) return core::NotFound("unknown guild");
    return core::PermissionDenied("unknown guild");
  }
  auto effective = ActorInGuild(guild, actor);
  if (!effective.ok()) return effective.error();
  if (!effective->permissions.Has(needed)) {
    return core::PermissionDenied("missing " + std::string(PermissionName(needed)));
  }
  return effective;
}

bool IsWorkspaceOwner(const GuildAuthz& guild, const std::string& user_id) {
  auto member = guild.members.find(user_id);
  if (member == guild.members.end() || guild.banned_user_ids.count(user_id) != 0) return false;
  return AssignedRoles(guild, member->second).count(guild.owner_role_id) != 0;
}

int32_t HighestPosition(const GuildAuthz& guild, const std::string& user_id) {
  auto member = guild.members.find(user_id);
  if (member == guild.members.end()) return -1;
  int32_t highest = -1;
  for (const auto& role_id : AssignedRoles(guild, member->second)) {
    highest = std::max(highest, guild.roles.at(role_id).position);
  }
  return highest;
}

bool IsSystemRole(const GuildAuthz& guild, const std::string& role_id) {
  return role_id == guild.everyone_role_id || role_id == guild.owner_role_id;
}

bool CanManageRole(const GuildAuthz& guild, const Actor& actor, const std::string& role_id) {
  if (actor.server_owner) return true;
  if (IsSystemRole(guild, role_id)) return false;
  if (IsWorkspaceOwner(guild, actor.user_id)) return true;
  auto role = guild.roles.find(role_id);
  return role != guild.roles.end() && role->second.position < HighestPosition(guild, actor.user_id);
}

int CountWorkspaceOwners(const GuildAuthz& guild) {
  int owners = 0;
  for (const auto& [user_id, member] : guild.members) {
    if (AssignedRoles(guild, member).count(guild.owner_role_id) != 0) ++owners;
  }
  return owners;
}

std::optional<std::string> DefaultJoinRoleFor(const GuildState& guild) {
  const auto& id = guild.default_join_role_id;
  if (!id || guild.authz.roles.count(*id) == 0 || IsSystemRole(guild.authz, *id)) {
    return std::nullopt;
  }
  return id;
}

core::Result<std::string> ParseUlidId(std::string_view id) {
  auto parsed = core::Ulid::Parse(id);
  if (!parsed) return core::InvalidArgument("id is not a ULID");
  return parsed->ToString();
}

}  // namespace filament::commands
