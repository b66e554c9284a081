#include "commands/guild/members.hpp"

namespace filament::commands {
namespace {

// The actor's legacy role when its legacy permission set holds `needed`.
core::Result<LegacyRole> RequireLegacy(const GuildState& guild, const Actor& actor,
                                       std::initializer_list<Permission> any_of) {
  if (!guild.exists) return core::PermissionDenied("unknown guild");
  auto effective = ActorInGuild(guild, actor);
  if (!effective.ok()) return effective.error();
  PermissionSet legacy = LegacyPermissions(effective->role);
  for (Permission p : any_of) {
    if (legacy.Has(p)) return effective->role;
  }
  return core::PermissionDenied("legacy role lacks the permission");
}

// Kick/ban hierarchy (§3.5): target not owner, actor rank above target rank.
core::Status CheckOutranks(LegacyRole actor, LegacyRole target) {
  if (target == LegacyRole::kOwner || LegacyRank(actor) <= LegacyRank(target)) {
    return core::PermissionDenied("target not below the actor");
  }
  return core::OkStatus();
}

}  // namespace

core::Result<GuildEvents> Decide(const GuildState& guild, const AddMember& cmd) {
  auto actor = RequireGuildPermission(guild, cmd.actor, Permission::kManageMemberRoles);
  if (!actor.ok()) return actor.error();
  auto user_id = ParseUlidId(cmd.user_id);
  if (!user_id.ok()) return user_id.error();
  if (!cmd.user_exists) return core::NotFound("unknown user");
  if (guild.authz.banned_user_ids.count(*user_id) != 0) {
    return core::PermissionDenied("target is banned");
  }
  if (guild.authz.members.count(*user_id) != 0) return GuildEvents{};
  events::MemberJoined joined{.guild_id = cmd.guild_id,
                              .user_id = *user_id,
                              .role = "member",
                              .source = "added",
                              .joined_at_unix = cmd.now_unix};
  joined.default_role_id = DefaultJoinRoleFor(guild);
  return GuildEvents{std::move(joined)};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const ChangeMemberRole& cmd) {
  auto actor =
      RequireLegacy(guild, cmd.actor, {Permission::kManageRoles, Permission::kManageMemberRoles});
  if (!actor.ok()) return actor.error();
  auto user_id = ParseUlidId(cmd.user_id);
  if (!user_id.ok()) return user_id.error();
  auto target = guild.authz.members.find(*user_id);
  if (target == guild.authz.members.end()) return core::NotFound("target is not a member");
  LegacyRole current = target->second.legacy_role;
  if (current == LegacyRole::kOwner || cmd.role == LegacyRole::kOwner) {
    return core::PermissionDenied("owner role cannot be changed here");
  }
  if (LegacyRank(*actor) <= LegacyRank(current) || LegacyRank(*actor) <= LegacyRank(cmd.role)) {
    return core::PermissionDenied("rank");
  }
  return GuildEvents{events::MemberRoleChanged{
      cmd.guild_id, *user_id, std::string(LegacyRoleName(cmd.role)), cmd.now_unix}};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const KickMember& cmd) {
  auto actor = RequireLegacy(guild, cmd.actor, {Permission::kBanMember});
  if (!actor.ok()) return actor.error();
  auto user_id = ParseUlidId(cmd.user_id);
  if (!user_id.ok()) return user_id.error();
  auto target = guild.authz.members.find(*user_id);
  if (target == guild.authz.members.end()) return core::NotFound("target is not a member");
  FILAMENT_RETURN_IF_ERROR(CheckOutranks(*actor, target->second.legacy_role));
  return GuildEvents{events::MemberRemoved{cmd.guild_id, *user_id, "kick", cmd.now_unix}};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const BanMember& cmd) {
  auto actor = RequireLegacy(guild, cmd.actor, {Permission::kBanMember});
  if (!actor.ok()) return actor.error();
  auto user_id = ParseUlidId(cmd.user_id);
  if (!user_id.ok()) return user_id.error();
  auto target = guild.authz.members.find(*user_id);
  const bool member = target != guild.authz.members.end();
  if (member) FILAMENT_RETURN_IF_ERROR(CheckOutranks(*actor, target->second.legacy_role));
  GuildEvents out;
  if (guild.authz.banned_user_ids.count(*user_id) == 0) {
    out.push_back(events::MemberBanned{cmd.guild_id, *user_id, cmd.now_unix});
  }
  if (member) out.push_back(events::MemberRemoved{cmd.guild_id, *user_id, "ban", cmd.now_unix});
  return out;
}

}  // namespace filament::commands
