#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Who acts on a workspace, and the contract's hierarchy rules (§3.4 step 1, §3.5), shared by
// the governance deciders.
namespace filament::commands {

struct Actor {
  std::string user_id;
  bool server_owner = false;  // FILAMENT_SERVER_OWNER_USER_ID: owner everywhere, no membership
};

// The actor's guild permissions; the server owner gets legacy owner + everything.
// Errors: kPermissionDenied (not a member, banned).
core::Result<Effective> ActorInGuild(const GuildState& guild, const Actor& actor);
// The same in one channel. Errors: kPermissionDenied, kNotFound (unknown channel).
core::Result<Effective> ActorInChannel(const GuildState& guild, const Actor& actor,
                                       const std::string& channel_id);

// The actor's guild permissions when they include `needed`. An unknown guild is
// kPermissionDenied (no existence oracle), or kNotFound for the server owner (§3.4 step 1).
core::Result<Effective> RequireGuildPermission(const GuildState& guild, const Actor& actor,
                                               Permission needed);

// Holds the workspace_owner role (explicitly or through the legacy owner role).
bool IsWorkspaceOwner(const GuildAuthz& guild, const std::string& user_id);
// Max position of the user's assigned roles (-1 for a non-member).
int32_t HighestPosition(const GuildAuthz& guild, const std::string& user_id);
// @everyone or workspace_owner.
bool IsSystemRole(const GuildAuthz& guild, const std::string& role_id);
// Contract §3.5 "manageable": server owner → yes; system roles → no; workspace owner → yes;
// else position below the actor's highest.
bool CanManageRole(const GuildAuthz& guild, const Actor& actor, const std::string& role_id);
// How many members hold workspace_owner.
int CountWorkspaceOwners(const GuildAuthz& guild);

// The role an accepted join gets besides the legacy member role: the default join role when it
// still exists and is not a system role.
std::optional<std::string> DefaultJoinRoleFor(const GuildState& guild);

// kInvalidArgument unless `id` is a ULID; returns it canonical (upper case).
core::Result<std::string> ParseUlidId(std::string_view id);

inline constexpr size_t kMaxGuildRoles = 64;         // LIMITS.md "Roles per guild"
inline constexpr size_t kMaxMemberAssignments = 16;  // LIMITS.md "Role assignments per member"

inline core::Error QuotaExceeded(std::string message) {
  return core::MakeError(core::ErrorCode::kResourceExhausted, std::move(message), "quota_exceeded");
}

}  // namespace filament::commands
