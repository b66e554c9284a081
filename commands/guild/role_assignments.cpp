#include "commands/guild/roles.hpp"

namespace filament::commands {
namespace {

struct Target {
  std::string role_id;
  std::string user_id;
};

// Checks shared by assign and unassign, in the contract's order: ids (400), permission (403),
// role known (404), not @everyone (400), workspace_owner only by the server owner (403),
// role below the actor's highest unless owner (403).
core::Result<Target> CheckAssignment(const GuildState& guild, const Actor& actor,
                                     std::string_view raw_role, std::string_view raw_user) {
  auto role_id = ParseUlidId(raw_role);
  if (!role_id.ok()) return role_id.error();
  auto user_id = ParseUlidId(raw_user);
  if (!user_id.ok()) return user_id.error();
  auto effective = RequireGuildPermission(guild, actor, Permission::kManageMemberRoles);
  if (!effective.ok()) return effective.error();
  const GuildAuthz& authz = guild.authz;
  auto role = authz.roles.find(*role_id);
  if (role == authz.roles.end()) return core::NotFound("unknown role");
  if (*role_id == authz.everyone_role_id) return core::InvalidArgument("@everyone");
  if (*role_id == authz.owner_role_id && !actor.server_owner) {
    return core::PermissionDenied("workspace_owner is assigned by the server owner only");
  }
  const bool owner = actor.server_owner || IsWorkspaceOwner(authz, actor.user_id);
  if (!owner && role->second.position >= HighestPosition(authz, actor.user_id)) {
    return core::PermissionDenied("role not below the actor's highest role");
  }
  return Target{*role_id, *user_id};
}

}  // namespace

core::Result<GuildEvents> Decide(const GuildState& guild, const AssignRole& cmd) {
  auto target = CheckAssignment(guild, cmd.actor, cmd.role_id, cmd.user_id);
  if (!target.ok()) return target.error();
  auto member = guild.authz.members.find(target->user_id);
  if (member == guild.authz.members.end()) return core::NotFound("target is not a member");
  const auto& held = member->second.assigned_role_ids;
  if (held.count(target->role_id) != 0) return GuildEvents{};
  if (held.size() >= kMaxMemberAssignments) return QuotaExceeded("16 roles per member");
  return GuildEvents{
      events::RoleAssigned{cmd.guild_id, target->user_id, target->role_id, cmd.now_unix}};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const UnassignRole& cmd) {
  auto target = CheckAssignment(guild, cmd.actor, cmd.role_id, cmd.user_id);
  if (!target.ok()) return target.error();
  auto member = guild.authz.members.find(target->user_id);
  if (member == guild.authz.members.end() ||
      member->second.assigned_role_ids.count(target->role_id) == 0) {
    return GuildEvents{};
  }
  if (target->role_id == guild.authz.owner_role_id && CountWorkspaceOwners(guild.authz) <= 1) {
    return core::PermissionDenied("the last workspace_owner cannot be removed");
  }
  return GuildEvents{
      events::RoleUnassigned{cmd.guild_id, target->user_id, target->role_id, cmd.now_unix}};
}

}  // namespace filament::commands
