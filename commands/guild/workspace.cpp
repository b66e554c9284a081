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
  if (!guild.exists) return core::NotFound("no such public guild");
  auto recorded = [&](std::string outcome) {
    return GuildEvents{
        events::DirectoryJoinRecorded{cmd.guild_id, cmd.user_id, std::move(outcome), cmd.now_unix}};
  };
  if (guild.visibility != "public") return recorded("rejected_visibility");
  if (guild.authz.banned_user_ids.count(cmd.user_id) != 0) return recorded("rejected_user_ban");
  if (cmd.ip_ban_id && guild.ip_bans.count(*cmd.ip_ban_id) != 0 &&
      guild.ip_bans.at(*cmd.ip_ban_id).ActiveAt(cmd.now_unix)) {
    return recorded("rejected_ip_ban");
  }
  if (guild.authz.members.count(cmd.user_id) != 0) return recorded("already_member");
  events::MemberJoined joined{.guild_id = cmd.guild_id,
                              .user_id = cmd.user_id,
                              .role = "member",
                              .source = "directory",
                              .joined_at_unix = cmd.now_unix};
  joined.default_role_id = DefaultJoinRoleFor(guild);
  return GuildEvents{std::move(joined)};
}

std::optional<core::Error> JoinRejection(const std::string& outcome) {
  if (outcome == "rejected_visibility") return core::NotFound("no such public guild");
  if (outcome == "rejected_user_ban") {
    return core::PermissionDenied("user is banned", "directory_join_user_banned");
  }
  if (outcome == "rejected_ip_ban") {
    return core::PermissionDenied("address is banned", "directory_join_ip_banned");
  }
  return std::nullopt;
}

core::Result<GuildEvents> Decide(const GuildState& guild, const UpdateGuild& cmd) {
  if (!guild.exists) return core::NotFound("unknown guild");
  auto actor = ActorInGuild(guild, cmd.actor);
  if (!actor.ok()) return actor.error();
  if (!actor->permissions.Has(Permission::kManageRoles)) {
    return core::PermissionDenied("missing manage_roles");
  }
  if (!cmd.name && !cmd.visibility) return core::InvalidArgument("nothing to update");
  if (cmd.name) FILAMENT_RETURN_IF_ERROR(ValidateName(*cmd.name));
  if (cmd.visibility && *cmd.visibility != "private" && *cmd.visibility != "public") {
    return core::InvalidArgument("visibility must be private or public");
  }
  events::GuildUpdated out{.guild_id = cmd.guild_id, .updated_at_unix = cmd.now_unix};
  if (cmd.name && *cmd.name != guild.name) out.name = cmd.name;
  if (cmd.visibility && *cmd.visibility != guild.visibility) out.visibility = cmd.visibility;
  if (!out.name && !out.visibility) return GuildEvents{};
  return GuildEvents{std::move(out)};
}

}  // namespace filament::commands
