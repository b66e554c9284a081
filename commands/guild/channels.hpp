#pragma once

#include <string>
#include <vector>

#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Channels of a workspace.
// Pure deciders on the guild aggregate: Decide(state, command) -> events or an error. No I/O,
// no clock, no randomness: ids and time are fields of the command. A rejected command yields
// an error and no events.
namespace filament::commands {

struct CreateChannel {
  std::string guild_id;
  std::string channel_id;
  std::string name;
  std::string kind;  // "text" | "voice"
  std::string actor_user_id;
  int64_t now_unix = 0;
};
// Errors: kInvalidArgument (name, kind; checked first), kPermissionDenied (unknown guild,
// not a member, or no guild manage_channel_overrides).
core::Result<GuildEvents> Decide(const GuildState& guild, const CreateChannel& cmd);

}  // namespace filament::commands
