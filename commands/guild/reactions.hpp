#pragma once

#include <string>

#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Reactions on messages (pure deciders on the guild aggregate, see messages.hpp).
namespace filament::commands {

inline constexpr size_t kMaxReactionsPerMessage = 64;  // distinct emoji per message

struct ReactToMessage {
  std::string guild_id;
  std::string channel_id;
  std::string message_id;
  std::string user_id;
  std::string emoji;  // percent-decoded
  bool add = true;    // false: remove
  int64_t now_unix = 0;
};
// Idempotent per user and emoji: a repeated add or remove still yields an event (the gateway
// emits message_reaction either way) carrying the unchanged count.
// Errors: kInvalidArgument (emoji; a 65th distinct emoji), kPermissionDenied (not a member,
// no create_message in the channel, unknown channel), kNotFound (no such message there).
core::Result<GuildEvents> Decide(const GuildState& guild, const ReactToMessage& cmd);

}  // namespace filament::commands
