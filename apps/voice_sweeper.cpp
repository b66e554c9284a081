#include "apps/voice_sweeper.hpp"

#include <algorithm>
#include <iostream>
#include <set>

#include "commands/voice/voice.hpp"
#include "core/thread_name.hpp"

namespace filament::app {

VoiceSweeper::VoiceSweeper(commands::CommandService& commands, projections::GuildQueries& guilds,
                           const core::Clock& clock, int64_t interval_secs,
                           std::chrono::milliseconds disconnect_grace)
    : commands_(commands),
      guilds_(guilds),
      clock_(clock),
      task_(
          std::chrono::seconds(interval_secs), std::chrono::seconds(interval_secs),
          [this] { SweepOnce(); }, "voice-sweeper"),
      disconnect_grace_(disconnect_grace) {}

VoiceSweeper::~VoiceSweeper() { Stop(); }

void VoiceSweeper::Start() {
  task_.Start();
  disconnects_ = core::NamedThread("voice-drop", [this] { RunDisconnects(); });
}

void VoiceSweeper::Stop() {
  task_.Stop();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (disconnects_.joinable()) disconnects_.join();
}

void VoiceSweeper::SetReconnectCheck(ReconnectCheck check) {
  std::lock_guard lock(mu_);
  reconnected_ = std::move(check);
}

void VoiceSweeper::WatchConnections(ReconnectCheck connected) {
  watch_connected_ = std::move(connected);
}

void VoiceSweeper::OnUserGone(const std::string& user_id) {
  {
    std::lock_guard lock(mu_);
    gone_.emplace_back(std::chrono::steady_clock::now() + disconnect_grace_, user_id);
  }
  wake_.notify_one();
}

// Each gone user, once its grace is over: removed unless it holds a connection again. A user
// who came back and went again is queued again: its later entry (a full grace after its last
// connection closed) decides, the earlier one is dropped.
void VoiceSweeper::RunDisconnects() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !gone_.empty(); });
    if (stopping_) return;
    const Due due = gone_.front().first;
    if (wake_.wait_until(lock, due, [this] { return stopping_; })) return;
    const std::string user_id = std::move(gone_.front().second);
    gone_.pop_front();
    const bool queued_again = std::any_of(
        gone_.begin(), gone_.end(), [&](const auto& entry) { return entry.second == user_id; });
    if (queued_again) continue;
    const ReconnectCheck reconnected = reconnected_;
    lock.unlock();
    if (!reconnected || !reconnected(user_id)) Remove(user_id, "", "", "disconnect", false);
    lock.lock();
  }
}

void VoiceSweeper::Remove(const std::string& user_id, const std::string& guild_id,
                          const std::string& channel_id, const std::string& reason,
                          bool only_if_expired) {
  const commands::CommandContext ctx{user_id, "voice-sweeper"};
  auto removed = commands_.OnVoice(ctx, user_id, [&](commands::Minter& m) {
    return commands::RemoveVoiceParticipant{user_id, guild_id,    channel_id,
                                            reason,  m.NowUnix(), only_if_expired};
  });
  if (!removed.ok()) {
    std::cerr << "voice sweep: removing " << user_id << " (" << reason
              << ") failed: " << removed.error().message << "\n";
  }
}

// Fail-closed: no create_message (or no answer) → gone; subscribe_streams dropped since the
// last sweep → gone (REST_API.md §4.14: re-evaluation after permission changes).
bool VoiceSweeper::LostAccess(const commands::VoiceRegistry::Entry& entry) {
  const std::string key = entry.user_id + ":" + entry.guild_id + ":" + entry.channel_id;
  auto access = guilds_.VisibleChannelAccess(entry.guild_id, entry.channel_id, entry.user_id);
  if (!access.ok()) return true;
  const uint64_t bits = access->permissions.bits();
  auto [it, first] = seen_permissions_.emplace(key, bits);
  const bool changed = !first && it->second != bits;
  it->second = bits;
  return changed && !access->permissions.Has(commands::Permission::kSubscribeStreams);
}

void VoiceSweeper::SweepOnce() {
  const int64_t now = clock_.NowUnix();
  const auto steady_now = std::chrono::steady_clock::now();
  std::set<std::string> live;
  std::set<std::string> live_users;  // WatchConnections: each user asked once per sweep
  std::set<std::string> gone_users;
  for (const auto& entry : commands_.VoiceParticipants()) {
    if (task_.stopping()) return;
    // With several api processes each sweeps the voice streams whose partition it writes now,
    // so every partition that has a writer has one sweeper and the sweep moves no partition.
    if (!commands_.WritesNow("voice:" + entry.user_id)) continue;
    if (entry.expires_at_unix <= now) {
      Remove(entry.user_id, entry.guild_id, entry.channel_id, "expired", true);
      continue;
    }
    if (LostAccess(entry)) {
      Remove(entry.user_id, entry.guild_id, entry.channel_id, "permission", false);
      continue;
    }
    live.insert(entry.user_id + ":" + entry.guild_id + ":" + entry.channel_id);
    if (watch_connected_ && live_users.insert(entry.user_id).second &&
        GoneLongEnough(entry.user_id, steady_now)) {
      gone_users.insert(entry.user_id);
    }
  }
  std::erase_if(seen_permissions_, [&](const auto& kv) { return live.count(kv.first) == 0; });
  std::erase_if(seen_connected_, [&](const auto& user) { return live_users.count(user) == 0; });
  std::erase_if(seen_gone_since_, [&](const auto& kv) { return live_users.count(kv.first) == 0; });
  for (const auto& user_id : gone_users) {
    seen_connected_.erase(user_id);
    seen_gone_since_.erase(user_id);
    Remove(user_id, "", "", "disconnect", false);
  }
}

bool VoiceSweeper::GoneLongEnough(const std::string& user_id,
                                  std::chrono::steady_clock::time_point now) {
  if (watch_connected_(user_id)) {
    seen_connected_.insert(user_id);
    seen_gone_since_.erase(user_id);
    return false;
  }
  if (seen_connected_.count(user_id) == 0) return false;  // never seen connected: expiry
  auto [since, first] = seen_gone_since_.emplace(user_id, now);
  return !first && now - since->second >= disconnect_grace_;
}

}  // namespace filament::app
