#include "commands/guild/overrides.hpp"

namespace filament::commands {
namespace {

core::Status CheckNoOverlap(PermissionSet allow, PermissionSet deny) {
  if (!(allow & deny).empty()) return core::InvalidArgument("allow and deny overlap");
  return core::OkStatus();
}

const std::string& SeededRoleOf(const GuildAuthz& authz, LegacyRole role) {
  switch (role) {
    case LegacyRole::kOwner:
      return authz.owner_role_id;
    case LegacyRole::kModerator:
      return authz.moderator_role_id;
    case LegacyRole::kMember:
      break;
  }
  return authz.member_role_id;
}

}  // namespace

core::Result<GuildEvents> Decide(const GuildState& guild, const SetLegacyOverride& cmd) {
  if (!guild.exists) return core::PermissionDenied("unknown guild");
  auto actor = ActorInGuild(guild, cmd.actor);
  if (!actor.ok()) return actor.error();
  if (actor->role != LegacyRole::kOwner) return core::PermissionDenied("legacy owner only");
  FILAMENT_RETURN_IF_ERROR(CheckNoOverlap(cmd.allow, cmd.deny));
  if (guild.authz.channels.count(cmd.channel_id) == 0) return core::NotFound("unknown channel");
  return GuildEvents{
      events::LegacyChannelOverrideSet{.guild_id = cmd.guild_id,
                                       .channel_id = cmd.channel_id,
                                       .role = std::string(LegacyRoleName(cmd.role)),
                                       .role_id = SeededRoleOf(guild.authz, cmd.role),
                                       .allow = PermissionNameList(cmd.allow),
                                       .deny = PermissionNameList(cmd.deny),
                                       .updated_at_unix = cmd.now_unix}};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const SetPermissionOverride& cmd) {
  if (!guild.exists) return core::PermissionDenied("unknown guild");
  auto actor = ActorInChannel(guild, cmd.actor, cmd.channel_id);
  if (!actor.ok()) return actor.error();
  if (!actor->permissions.Has(Permission::kManageChannelOverrides)) {
    return core::PermissionDenied("missing channel manage_channel_overrides");
  }
  FILAMENT_RETURN_IF_ERROR(CheckNoOverlap(cmd.allow, cmd.deny));
  if (cmd.target_kind != "role" && cmd.target_kind != "member") {
    return core::InvalidArgument("target_kind is role or member");
  }
  auto target = ParseUlidId(cmd.target_id);
  if (!target.ok()) return target.error();
  return GuildEvents{events::ChannelPermissionOverrideSet{.guild_id = cmd.guild_id,
                                                          .channel_id = cmd.channel_id,
                                                          .target_kind = cmd.target_kind,
                                                          .target_id = *target,
                                                          .allow = PermissionNameList(cmd.allow),
                                                          .deny = PermissionNameList(cmd.deny),
                                                          .updated_at_unix = cmd.now_unix}};
}

}  // namespace filament::commands
