#include "commands/guild/workspace.hpp"

#include "commands/validation.hpp"

namespace filament::commands {

core::Result<GuildEvents> Decide(const GuildState& guild, const CreateGuild& cmd) {
  FILAMENT_RETURN_IF_ERROR(ValidateName(cmd.name));
  if (cmd.visibility != "private" && cmd.visibility != "public") {
    return core::InvalidArgument("visibility must be private or public");
  }
  if (cmd.guilds_already_created >= cmd.max_created_guilds) {
    return core::PermissionDenied("creator cap reached", "guild_creation_limit_reached");
  }
  if (guild.exists) return core::MakeError(core::ErrorCode::kAlreadyExists, "guild exists");
  return GuildEvents{events::GuildCreated{
      .guild_id = cmd.guild_id,
      .name = cmd.name,
      .visibility = cmd.visibility,
      .creator_user_id = cmd.creator_user_id,
      .everyone_role_id = cmd.everyone_role_id,
      .owner_role_id = cmd.owner_role_id,
      .moderator_role_id = cmd.moderator_role_id,
      .member_role_id = cmd.member_role_id,
      .created_at_unix = cmd.now_unix,
  }};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const JoinGuild& cmd) {
  // Outcome precedence (contract §4.5): private → user ban → IP ban → already member → accepted.
  if (!guild.exists || guild.visibility != "public") return core::NotFound("no such public guild");
  if (guild.authz.banned_user_ids.count(cmd.user_id) != 0) {
    return core::PermissionDenied("user is banned", "directory_join_user_banned");
  }
  if (guild.authz.members.count(cmd.user_id) != 0) return GuildEvents{};
  return GuildEvents{events::MemberJoined{
      .guild_id = cmd.guild_id,
      .user_id = cmd.user_id,
      .role = "member",
      .source = "directory",
      .joined_at_unix = cmd.now_unix,
  }};
}

}  // namespace filament::commands
