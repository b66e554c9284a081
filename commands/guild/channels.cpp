#include "commands/guild/channels.hpp"

#include "commands/validation.hpp"

namespace filament::commands {

core::Result<GuildEvents> Decide(const GuildState& guild, const CreateChannel& cmd) {
  FILAMENT_RETURN_IF_ERROR(ValidateName(cmd.name));
  if (cmd.kind != "text" && cmd.kind != "voice") {
    return core::InvalidArgument("kind must be text or voice");
  }
  if (!guild.exists) return core::PermissionDenied("unknown guild");
  auto effective = EvaluateGuild(guild.authz, cmd.actor_user_id);
  if (!effective.ok()) return effective.error();
  if (!effective->permissions.Has(Permission::kManageChannelOverrides)) {
    return core::PermissionDenied("missing manage_channel_overrides");
  }
  return GuildEvents{events::ChannelCreated{
      .guild_id = cmd.guild_id,
      .channel_id = cmd.channel_id,
      .name = cmd.name,
      .kind = cmd.kind,
      .created_at_unix = cmd.now_unix,
  }};
}

}  // namespace filament::commands
