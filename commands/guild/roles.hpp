#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/guild/actor.hpp"
#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Workspace roles (contract §4.7, hierarchy §3.5).
// Pure deciders on the guild aggregate: Decide(state, command) -> events or an error. No I/O,
// no clock, no randomness: ids and time are fields of the command. A rejected command yields
// an error and no events. Unknown guilds answer kPermissionDenied (no existence oracle).
namespace filament::commands {

// Role name rule: trimmed, 1..32 bytes, no ASCII control characters, not "@everyone" nor
// "workspace_owner" (case-insensitive). Returns the trimmed name.
core::Result<std::string> NormalizeRoleName(std::string_view raw);
// "#RRGGBB" after trimming; returns it upper case.
core::Result<std::string> NormalizeColorHex(std::string_view raw);

struct CreateRole {
  std::string guild_id;
  Actor actor;
  std::string role_id;
  std::string name;
  PermissionSet permissions;
  std::optional<int64_t> position;
  std::optional<std::string> color_hex;
  int64_t now_unix = 0;
};
// Errors: kPermissionDenied (not a member, no manage_workspace_roles, position >= own highest
// for a non-owner), kInvalidArgument (name, colour, position < 0), kResourceExhausted
// "quota_exceeded" (64 roles).
core::Result<GuildEvents> Decide(const GuildState& guild, const CreateRole& cmd);

struct UpdateRole {
  std::string guild_id;
  Actor actor;
  std::string role_id;  // raw path segment
  std::optional<std::string> name;
  std::optional<PermissionSet> permissions;
  bool color_present = false;            // key present in the body
  std::optional<std::string> color_hex;  // nullopt with color_present = clear
  int64_t now_unix = 0;
};
// Errors: kInvalidArgument (role id, nothing to update, name, colour), kPermissionDenied (not
// a member, no manage_workspace_roles, role not manageable), kNotFound (unknown role).
core::Result<GuildEvents> Decide(const GuildState& guild, const UpdateRole& cmd);

struct DeleteRole {
  std::string guild_id;
  Actor actor;
  std::string role_id;  // raw
  int64_t now_unix = 0;
};
// Errors: kInvalidArgument (role id), kPermissionDenied (permission, system role, not
// manageable), kNotFound (unknown role).
core::Result<GuildEvents> Decide(const GuildState& guild, const DeleteRole& cmd);

struct ReorderRoles {
  std::string guild_id;
  Actor actor;
  std::vector<std::string> role_ids;  // raw, in the requested order
  int64_t now_unix = 0;
};
// Errors: kInvalidArgument (empty, > 64, duplicate, not a ULID, unknown role),
// kPermissionDenied (permission, any listed role system or not manageable).
core::Result<GuildEvents> Decide(const GuildState& guild, const ReorderRoles& cmd);

struct SetDefaultJoinRole {
  std::string guild_id;
  Actor actor;
  std::optional<std::string> role_id;  // raw; nullopt clears
  int64_t now_unix = 0;
};
// Errors: kInvalidArgument (not a ULID, unknown role), kPermissionDenied (permission, system
// role, not manageable).
core::Result<GuildEvents> Decide(const GuildState& guild, const SetDefaultJoinRole& cmd);

struct AssignRole {
  std::string guild_id;
  Actor actor;
  std::string role_id;  // raw
  std::string user_id;  // raw
  int64_t now_unix = 0;
};
// Empty result = already held. Errors: kInvalidArgument (ids, @everyone), kPermissionDenied
// (no manage_member_roles, workspace_owner by a non-server-owner, role not below the actor's
// highest), kNotFound (role, target not a member), kResourceExhausted "quota_exceeded" (16).
core::Result<GuildEvents> Decide(const GuildState& guild, const AssignRole& cmd);

struct UnassignRole {
  std::string guild_id;
  Actor actor;
  std::string role_id;  // raw
  std::string user_id;  // raw
  int64_t now_unix = 0;
};
// Empty result = not held. Errors as AssignRole without the target/409 ones, plus
// kPermissionDenied when it would remove the last workspace_owner.
core::Result<GuildEvents> Decide(const GuildState& guild, const UnassignRole& cmd);

}  // namespace filament::commands
