#include "commands/guild/ip_bans.hpp"

#include <set>

namespace filament::commands {
namespace {

core::Status CheckReason(const std::optional<std::string>& reason) {
  if (!reason) return core::OkStatus();
  if (reason->size() > kMaxIpBanReasonBytes) return core::InvalidArgument("reason over 240 bytes");
  if (reason->find_first_not_of(" \t\r\n") == std::string::npos) {
    return core::InvalidArgument("reason is blank");
  }
  if (reason->find('\0') != std::string::npos) return core::InvalidArgument("reason contains NUL");
  return core::OkStatus();
}

core::Result<Effective> RequireBanManager(const GuildState& guild, const Actor& actor) {
  if (!guild.exists) return core::NotFound("unknown guild");
  return RequireGuildPermission(guild, actor, Permission::kManageIpBans);
}

}  // namespace

core::Result<GuildEvents> Decide(const GuildState& guild, const CreateIpBans& cmd) {
  auto target = ParseUlidId(cmd.target_user_id);
  if (!target.ok()) return target.error();
  FILAMENT_RETURN_IF_ERROR(CheckReason(cmd.reason));
  if (cmd.expires_in_secs && (*cmd.expires_in_secs < 1 || *cmd.expires_in_secs > kMaxIpBanSecs)) {
    return core::InvalidArgument("expires_in_secs must be 1..15552000");
  }
  auto actor = RequireBanManager(guild, cmd.actor);
  if (!actor.ok()) return actor.error();
  std::set<std::string> banned;
  int64_t active = 0;
  for (const auto& [ban_id, ban] : guild.ip_bans) {
    if (!ban.ActiveAt(cmd.now_unix)) continue;
    ++active;
    banned.insert(ban.observation_id);
  }
  events::IpBansUpdated out{.guild_id = cmd.guild_id, .action = "upsert", .at_unix = cmd.now_unix};
  for (size_t i = 0; i < cmd.observation_ids.size() && i < cmd.new_ban_ids.size(); ++i) {
    if (!banned.insert(cmd.observation_ids[i]).second) continue;
    out.ban_ids.push_back(cmd.new_ban_ids[i]);
    out.observation_ids.push_back(cmd.observation_ids[i]);
  }
  if (out.ban_ids.empty()) return GuildEvents{};
  if (active + static_cast<int64_t>(out.ban_ids.size()) > cmd.max_entries) {
    return QuotaExceeded("guild IP ban entries");
  }
  out.source_user_id = *target;
  out.reason = cmd.reason;
  if (cmd.expires_in_secs) out.expires_at_unix = cmd.now_unix + *cmd.expires_in_secs;
  return GuildEvents{std::move(out)};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const RemoveIpBan& cmd) {
  auto ban_id = ParseUlidId(cmd.ban_id);
  if (!ban_id.ok()) return ban_id.error();
  auto actor = RequireBanManager(guild, cmd.actor);
  if (!actor.ok()) return actor.error();
  if (guild.ip_bans.count(*ban_id) == 0) return core::NotFound("unknown ban");
  return GuildEvents{events::IpBansUpdated{
      .guild_id = cmd.guild_id, .action = "remove", .ban_ids = {*ban_id}, .at_unix = cmd.now_unix}};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const RecordIpBanHit& cmd) {
  if (!guild.exists) return core::NotFound("unknown guild");
  return GuildEvents{events::IpBanHit{cmd.guild_id, cmd.user_id, cmd.ban_id, cmd.now_unix}};
}

}  // namespace filament::commands
