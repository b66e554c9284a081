#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Messages in a workspace's channels.
// Pure deciders on the guild aggregate: Decide(state, command) -> events or an error. No I/O,
// no clock, no randomness: ids and time are fields of the command. A rejected command yields
// an error and no events.
namespace filament::commands {

// The reason of the kFailedPrecondition a PostMessage not `address_cleared` gets in a guild
// with an active IP ban: check the poster's address, then post again cleared (ADR 0104).
inline constexpr std::string_view kAddressCheckRequired = "address_check_required";

struct PostMessage {
  std::string guild_id;
  std::string channel_id;
  std::string message_id;
  std::string author_id;
  std::string content;
  std::vector<std::string> attachment_ids;  // de-duplicated by the caller
  int64_t now_unix = 0;
  // Whether the caller has checked the poster's address against the guild's IP bans (or takes
  // that on itself). false: refused with kAddressCheckRequired, before any other check, when
  // the guild has an active IP ban; so the address is looked up only in guilds that have one.
  bool address_cleared = true;
};
// Errors: kFailedPrecondition with kAddressCheckRequired (above), kInvalidArgument (content;
// more than 5 attachments; an attachment that is not an unbound upload of the author to this
// channel), kPermissionDenied (not a member, no create_message in the channel), kNotFound
// (unknown channel).
core::Result<GuildEvents> Decide(const GuildState& guild, const PostMessage& cmd);

struct EditMessage {
  std::string guild_id;
  std::string channel_id;
  std::string message_id;
  std::string editor_id;
  std::string content;
  int64_t now_unix = 0;
};
// By the author, or by a member with the channel's delete_message (a moderation edit).
// Errors: kInvalidArgument (content 1..2000 bytes), kPermissionDenied (not a member; neither
// author nor delete_message), kNotFound (unknown channel, or no such message in it).
core::Result<GuildEvents> Decide(const GuildState& guild, const EditMessage& cmd);

struct DeleteMessage {
  std::string guild_id;
  std::string channel_id;
  std::string message_id;
  std::string actor_id;
  int64_t now_unix = 0;
};
// Same rules as EditMessage; the event names the bound attachments deleted with the message.
core::Result<GuildEvents> Decide(const GuildState& guild, const DeleteMessage& cmd);

}  // namespace filament::commands
