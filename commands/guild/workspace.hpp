#pragma once

#include <string>
#include <vector>

#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Workspace lifecycle: creating a workspace and joining it from the directory.
// Pure deciders on the guild aggregate: Decide(state, command) -> events or an error. No I/O,
// no clock, no randomness: ids and time are fields of the command. A rejected command yields
// an error and no events.
namespace filament::commands {

struct CreateGuild {
  std::string guild_id;
  std::string name;
  std::string visibility;  // "private" | "public"
  std::string creator_user_id;
  std::string everyone_role_id, owner_role_id, moderator_role_id, member_role_id;
  int64_t now_unix = 0;
  int64_t guilds_already_created = 0;  // by the creator (from the user directory)
  int64_t max_created_guilds = 5;
};
// Errors: kInvalidArgument (name, visibility), kPermissionDenied with reason
// "guild_creation_limit_reached", kAlreadyExists (the stream already exists).
core::Result<GuildEvents> Decide(const GuildState& guild, const CreateGuild& cmd);

struct JoinGuild {
  std::string guild_id;
  std::string user_id;
  int64_t now_unix = 0;
};
// Directory join. Empty result = already a member (outcome "already_member").
// Errors: kNotFound (unknown or private guild: no visibility oracle), kPermissionDenied with
// reason "directory_join_user_banned".
core::Result<GuildEvents> Decide(const GuildState& guild, const JoinGuild& cmd);

}  // namespace filament::commands
