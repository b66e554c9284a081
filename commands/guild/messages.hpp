#pragma once

#include <string>
#include <vector>

#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Messages in a workspace's channels.
// Pure deciders on the guild aggregate: Decide(state, command) -> events or an error. No I/O,
// no clock, no randomness: ids and time are fields of the command. A rejected command yields
// an error and no events.
namespace filament::commands {

struct PostMessage {
  std::string guild_id;
  std::string channel_id;
  std::string message_id;
  std::string author_id;
  std::string content;
  std::vector<std::string> attachment_ids;  // de-duplicated by the caller
  int64_t now_unix = 0;
};
// Errors: kInvalidArgument (content, attachments — no attachment can be bound yet, so any id
// is rejected), kPermissionDenied (not a member, no create_message in the channel),
// kNotFound (unknown channel).
core::Result<GuildEvents> Decide(const GuildState& guild, const PostMessage& cmd);

}  // namespace filament::commands
