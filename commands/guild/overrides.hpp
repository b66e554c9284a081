#pragma once

#include <string>

#include "commands/guild/actor.hpp"
#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Channel permission overrides (contract §4.10, evaluation §3.4 step 5).
// Pure deciders on the guild aggregate: Decide(state, command) -> events or an error. No I/O,
// no clock, no randomness: ids and time are fields of the command. A rejected command yields
// an error and no events. Unknown guilds answer kPermissionDenied (no existence oracle).
namespace filament::commands {

struct SetLegacyOverride {
  std::string guild_id;
  std::string channel_id;
  Actor actor;
  LegacyRole role = LegacyRole::kMember;  // mapped to its seeded role
  PermissionSet allow, deny;
  int64_t now_unix = 0;
};
// Errors: kPermissionDenied (actor's legacy role is not owner), kInvalidArgument (allow ∩
// deny), kNotFound (unknown channel).
core::Result<GuildEvents> Decide(const GuildState& guild, const SetLegacyOverride& cmd);

struct SetPermissionOverride {
  std::string guild_id;
  std::string channel_id;
  Actor actor;
  std::string target_kind;  // "role" | "member"
  std::string target_id;    // raw
  PermissionSet allow, deny;
  int64_t now_unix = 0;
};
// Errors: kPermissionDenied (not a member, no channel manage_channel_overrides), kNotFound
// (unknown channel), kInvalidArgument (allow ∩ deny, target id not a ULID).
core::Result<GuildEvents> Decide(const GuildState& guild, const SetPermissionOverride& cmd);

}  // namespace filament::commands
