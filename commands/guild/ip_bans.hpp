#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/guild/actor.hpp"
#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Guild IP bans (contract §4.8, gate §3.7). Bans name IP observations (ids); the addresses
// live outside the log, so these deciders never see one.
// Pure deciders on the guild aggregate: Decide(state, command) -> events or an error.
namespace filament::commands {

inline constexpr int64_t kMaxIpBanSecs = 15'552'000;
inline constexpr size_t kMaxIpBanReasonBytes = 240;

struct CreateIpBans {
  std::string guild_id;
  Actor actor;
  std::string target_user_id;         // raw
  std::optional<std::string> reason;  // raw
  std::optional<int64_t> expires_in_secs;
  std::vector<std::string> observation_ids;  // the target's, most recent first
  std::vector<std::string> new_ban_ids;      // one fresh id per observation
  int64_t max_entries = 4096;
  int64_t now_unix = 0;
};
// Empty result = nothing new to ban (created_count 0). Errors, in order: kInvalidArgument
// (target id, reason blank or > 240 bytes, expiry out of 1..15552000), kNotFound (unknown
// guild), kPermissionDenied (no manage_ip_bans), kResourceExhausted "quota_exceeded".
core::Result<GuildEvents> Decide(const GuildState& guild, const CreateIpBans& cmd);

struct RemoveIpBan {
  std::string guild_id;
  Actor actor;
  std::string ban_id;  // raw
  int64_t now_unix = 0;
};
// Errors: kInvalidArgument (ban id), kNotFound (guild, ban), kPermissionDenied.
core::Result<GuildEvents> Decide(const GuildState& guild, const RemoveIpBan& cmd);

struct RecordIpBanHit {
  std::string guild_id;
  std::string user_id;
  std::string ban_id;
  int64_t now_unix = 0;
};
// The audit trail of a refused request. Errors: kNotFound (unknown guild).
core::Result<GuildEvents> Decide(const GuildState& guild, const RecordIpBanHit& cmd);

}  // namespace filament::commands
