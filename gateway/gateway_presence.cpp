// GatewayHub: presence (GATEWAY.md §7) over one or several gateway processes (ADR 0057).
// The hub's view of a user in a guild is "present here" (presence_, this process's present
// connections) or "present elsewhere" (remote_presence_, the directory's reports, applied under
// the hub lock in the order they come). presence_update goes to this process's clients when
// that union flips; every process does the same for its own clients.

#include <nlohmann/json.hpp>

#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_session.hpp"

namespace filament::gateway {

void GatewayHub::AttachPresence(PresenceDirectory* directory) {
  PresenceDirectory* previous = nullptr;
  {
    std::lock_guard lock(mu_);
    previous = directory_;
    directory_ = directory;
    remote_presence_.clear();
  }
  if (previous != nullptr) previous->SetListener(nullptr);
  if (directory != nullptr) directory->SetListener(this);
}

void GatewayHub::SetUserGoneHandler(UserGoneHandler handler) {
  std::lock_guard lock(mu_);
  on_user_gone_ = std::move(handler);
}

bool GatewayHub::HasConnection(const std::string& user_id) const {
  std::lock_guard lock(mu_);
  return user_connections_.count(user_id) > 0;
}

void GatewayHub::CountConnectionLocked(const std::string& user_id, int delta) {
  int& count = user_connections_[user_id];
  count += delta;
  if (count > 0) {
    if (count == 1 && delta > 0 && directory_ != nullptr) directory_->Connected(user_id);
    return;
  }
  user_connections_.erase(user_id);
  if (directory_ != nullptr) directory_->Disconnected(user_id);
}

bool GatewayHub::EnterPresenceLocked(GatewaySession& session, const std::string& guild_id) {
  if (!session.presence_guilds.insert(guild_id).second) return false;
  if (presence_[guild_id][session.user_id]++ > 0) return false;
  if (directory_ != nullptr) directory_->Announce(guild_id, session.user_id);
  auto remote = remote_presence_.find(guild_id);
  return remote == remote_presence_.end() || remote->second.count(session.user_id) == 0;
}

void GatewayHub::LeavePresenceLocked(const std::string& user_id, const std::string& guild_id) {
  auto& present = presence_[guild_id];
  if (--present[user_id] > 0) return;
  present.erase(user_id);
  if (present.empty()) presence_.erase(guild_id);
  if (directory_ != nullptr) directory_->Withdraw(guild_id, user_id);
  auto remote = remote_presence_.find(guild_id);
  if (remote != remote_presence_.end() && remote->second.count(user_id) > 0) return;
  PublishPresenceLocked(guild_id, user_id, false);
}

std::string GatewayHub::PresenceSyncLocked(const std::string& guild_id) const {
  nlohmann::json user_ids = nlohmann::json::array();
  auto local = presence_.find(guild_id);
  if (local != presence_.end()) {
    for (const auto& [user_id, count] : local->second) user_ids.push_back(user_id);
  }
  auto remote = remote_presence_.find(guild_id);
  if (remote != remote_presence_.end()) {
    for (const std::string& user_id : remote->second) {
      if (local == presence_.end() || local->second.count(user_id) == 0) {
        user_ids.push_back(user_id);
      }
    }
  }
  return nlohmann::json{{"guild_id", guild_id}, {"user_ids", std::move(user_ids)}}.dump();
}

void GatewayHub::PublishPresenceLocked(const std::string& guild_id, const std::string& user_id,
                                       bool online) {
  const std::string payload =
      nlohmann::json{
          {"guild_id", guild_id}, {"user_id", user_id}, {"status", online ? "online" : "offline"}}
          .dump();
  PublishToGuildLocked(guild_id, "presence_update", payload, /*log_derived=*/false);
}

void GatewayHub::OnRemotePresence(const std::vector<PresenceChange>& changes) {
  std::lock_guard lock(mu_);
  for (const PresenceChange& change : changes) {
    auto& users = remote_presence_[change.guild_id];
    const bool flipped =
        change.present ? users.insert(change.user_id).second : users.erase(change.user_id) > 0;
    if (users.empty()) remote_presence_.erase(change.guild_id);
    if (!flipped) continue;
    auto local = presence_.find(change.guild_id);
    if (local != presence_.end() && local->second.count(change.user_id) > 0) continue;
    PublishPresenceLocked(change.guild_id, change.user_id, change.present);
  }
}

void GatewayHub::OnUserGone(const std::string& user_id) {
  UserGoneHandler handler;
  {
    std::lock_guard lock(mu_);
    handler = on_user_gone_;
  }
  if (handler) handler(user_id);
}

}  // namespace filament::gateway
