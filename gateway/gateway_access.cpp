#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_session.hpp"

// Live permissions: filtered fan-out and revalidation of subscriptions (GatewayHub).
namespace filament::gateway {

void GatewayHub::PublishToChannel(std::string_view guild_id, std::string_view channel_id,
                                  std::string_view type, std::string_view payload_json,
                                  const UserFilter& allow) {
  std::optional<std::string> envelope = PrepareEnvelope("channel", type, payload_json);
  if (!envelope) return;
  std::string key(guild_id);
  key += ':';
  key += channel_id;
  auto lock = LockForFanout();
  auto it = channels_.find(key);
  if (it == channels_.end()) return;
  DeliverLocked("channel", type, *envelope, it->second, &allow);
  if (it->second.empty()) channels_.erase(it);
}

void GatewayHub::PublishToGuild(std::string_view guild_id, std::string_view type,
                                std::string_view payload_json, const UserFilter& allow) {
  std::optional<std::string> envelope = PrepareEnvelope("guild", type, payload_json);
  if (!envelope) return;
  auto lock = LockForFanout();
  DeliverToGuildLocked(std::string(guild_id), type, *envelope, &allow);
}

void GatewayHub::Revalidate(
    const std::string& guild_id,
    const std::function<bool(const std::string& user_id, const std::string& channel_id)>& keep) {
  std::lock_guard lock(mu_);
  DropSubscriptionsLocked(guild_id,
                          [&keep](const GatewaySession& session, const std::string& channel_id) {
                            return keep(session.user_id, channel_id);
                          });
}

void GatewayHub::DropSubscriptionsLocked(const std::string& guild_id, const KeepLocked& keep,
                                         bool drop_standing) {
  auto guild = guilds_.find(guild_id);
  if (guild == guilds_.end()) return;
  const std::string prefix = guild_id + ":";
  std::vector<GatewaySession*> left;
  for (uint64_t id : guild->second) {
    auto found = connections_.find(id);
    if (found == connections_.end()) continue;
    GatewaySession& session = *found->second;
    bool any_left = false;
    for (auto key = session.channel_keys.lower_bound(prefix);
         key != session.channel_keys.end() && key->compare(0, prefix.size(), prefix) == 0;) {
      if (keep(session, key->substr(prefix.size()))) {
        any_left = true;
        ++key;
        continue;
      }
      if (session.version == 2 && !drop_standing) {  // a standing interest (ADR 0060): kept,
                                                     // filtered per event
        ++key;
        continue;
      }
      if (auto channel = channels_.find(*key); channel != channels_.end()) {
        channel->second.erase(session.id);
        if (channel->second.empty()) channels_.erase(channel);
      }
      key = session.channel_keys.erase(key);
    }
    if (!any_left) left.push_back(&session);
  }
  // After the loop (this changes guilds_[guild_id]); all leave the index before any presence
  // update goes out, so connections cut together do not hear of each other.
  for (GatewaySession* session : left) guild->second.erase(session->id);
  if (guild->second.empty()) guilds_.erase(guild);
  for (GatewaySession* session : left) {
    if (session->presence_guilds.erase(guild_id) != 0) LeaveGuildLocked(*session, guild_id);
  }
}

}  // namespace filament::gateway
