#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/guild/actor.hpp"
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
  // An active ban of this guild on the caller's address (the route asks the IP side store).
  std::optional<std::string> ip_ban_id;
};
// Directory join. Every outcome on an existing guild is an event (the audit trail is the log):
// MemberJoined (accepted, with the default join role) or DirectoryJoinRecorded (already a
// member, or rejected: the route answers the rejection with JoinRejection()).
// Errors: kNotFound (unknown guild).
core::Result<GuildEvents> Decide(const GuildState& guild, const JoinGuild& cmd);

// The contract error of a rejected join outcome; nullopt for accepted / already_member.
std::optional<core::Error> JoinRejection(const std::string& outcome);

struct UpdateGuild {
  std::string guild_id;
  Actor actor;
  std::optional<std::string> name;
  std::optional<std::string> visibility;  // "private" | "public"
  int64_t now_unix = 0;
};
// Only the fields that change are in the event; nothing changes → no event.
// Errors: kNotFound (unknown guild), kPermissionDenied (no guild manage_roles; checked before
// the body), kInvalidArgument (no field, bad name or visibility).
core::Result<GuildEvents> Decide(const GuildState& guild, const UpdateGuild& cmd);

}  // namespace filament::commands
