// Live guild IP bans (ADR 0032): a ban seen on the log cuts the guild from connections whose
// address it names, and keeps later subscribes from that address out (GatewayHub).

#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_session.hpp"
#include "gateway/ip_key.hpp"

namespace filament::gateway {

void GatewayHub::ApplyIpBans(const std::string& guild_id, const std::vector<IpBanEntry>& bans,
                             const std::optional<Announcement>& announce,
                             std::shared_ptr<const ReplayEntry> record) {
  std::optional<std::string> envelope;
  if (announce) envelope = PrepareEnvelope("guild", announce->type, announce->payload_json);
  const int64_t now = clock_.NowUnix();
  auto lock = LockForFanout();
  if (envelope) DeliverToGuildLocked(guild_id, announce->type, *envelope, announce->allow);
  if (record) PublishRecordLocked(std::move(record));
  auto& live = ip_bans_[guild_id];
  std::erase_if(live, [now](const auto& entry) {
    return entry.second.expires_at_unix && *entry.second.expires_at_unix <= now;
  });
  bool added = false;
  for (const IpBanEntry& ban : bans) {
    if (ban.expires_at_unix && *ban.expires_at_unix <= now) continue;
    std::optional<std::string> key = IpKey(ban.address);
    if (!key) continue;
    live[ban.ban_id] = LiveIpBan{std::move(*key), ban.expires_at_unix};
    added = true;
  }
  if (live.empty()) ip_bans_.erase(guild_id);
  if (!added) return;
  DropSubscriptionsLocked(
      guild_id,
      [this, &guild_id](const GatewaySession& session, const std::string& /*channel_id*/) {
        return !IpBannedLocked(session, guild_id);
      },
      /*drop_standing=*/true);
}

void GatewayHub::LiftIpBans(const std::string& guild_id, const std::vector<std::string>& ban_ids) {
  std::lock_guard lock(mu_);
  auto guild = ip_bans_.find(guild_id);
  if (guild == ip_bans_.end()) return;
  for (const std::string& ban_id : ban_ids) guild->second.erase(ban_id);
  if (guild->second.empty()) ip_bans_.erase(guild);
}

bool GatewayHub::IpBannedLocked(const GatewaySession& session, const std::string& guild_id) const {
  if (!session.ip_key) return false;
  auto guild = ip_bans_.find(guild_id);
  if (guild == ip_bans_.end()) return false;
  const int64_t now = clock_.NowUnix();
  for (const auto& [ban_id, ban] : guild->second) {
    if (ban.ip_key != *session.ip_key) continue;
    if (!ban.expires_at_unix || *ban.expires_at_unix > now) return true;
  }
  return false;
}

}  // namespace filament::gateway
