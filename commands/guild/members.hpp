#pragma once

#include <string>

#include "commands/guild/actor.hpp"
#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Members and moderation (contract §4.6, legacy rules §3.3/§3.5).
// Pure deciders on the guild aggregate: Decide(state, command) -> events or an error. No I/O,
// no clock, no randomness: ids and time are fields of the command. A rejected command yields
// an error and no events. Unknown guilds answer kPermissionDenied (no existence oracle).
namespace filament::commands {

struct AddMember {
  std::string guild_id;
  Actor actor;
  std::string user_id;      // raw path segment
  bool user_exists = true;  // the account exists (the route asks the user directory)
  int64_t now_unix = 0;
};
// Empty result = already a member. Errors: kPermissionDenied (no manage_member_roles, target
// banned), kInvalidArgument (not a ULID; checked after the permission), kNotFound (unknown
// user).
core::Result<GuildEvents> Decide(const GuildState& guild, const AddMember& cmd);

struct ChangeMemberRole {
  std::string guild_id;
  Actor actor;
  std::string user_id;  // raw
  LegacyRole role = LegacyRole::kMember;
  int64_t now_unix = 0;
};
// Errors: kPermissionDenied (actor not a member, owner involved, legacy set lacks
// manage_roles/manage_member_roles, rank not above both roles), kInvalidArgument (ULID),
// kNotFound (target not a member).
core::Result<GuildEvents> Decide(const GuildState& guild, const ChangeMemberRole& cmd);

struct KickMember {
  std::string guild_id;
  Actor actor;
  std::string user_id;  // raw
  int64_t now_unix = 0;
};
// Errors: kPermissionDenied (legacy ban_member, target owner, rank), kInvalidArgument (ULID),
// kNotFound (target not a member).
core::Result<GuildEvents> Decide(const GuildState& guild, const KickMember& cmd);

struct BanMember {
  std::string guild_id;
  Actor actor;
  std::string user_id;  // raw
  int64_t now_unix = 0;
};
// Also bans non-members (pre-emptive). Empty result = already banned and not a member.
// Errors: kPermissionDenied (legacy ban_member; for a member target: owner, rank),
// kInvalidArgument (ULID).
core::Result<GuildEvents> Decide(const GuildState& guild, const BanMember& cmd);

}  // namespace filament::commands
