#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "commands/command_service.hpp"
#include "core/clock.hpp"
#include "core/periodic_task.hpp"
#include "gateway/ports.hpp"
#include "projections/guilds/guilds_projection.hpp"

namespace filament::app {

// Removes voice participants the contract says must go (GATEWAY.md §8, ADR 0054), in the
// process that owns the command side (the only log writer):
//  - every `interval_secs` (core::PeriodicTask): participants whose token expired, and
//    (fail-closed) those who can no longer see their channel (kicked, banned, create_message
//    denied, permission lookup failed) or whose permissions changed so that they lack
//    subscribe_streams;
//  - on its own thread, `disconnect_grace` after the user's last gateway connection closed
//    (OnUserGone): every participation of that user, unless the user holds a connection again
//    by then (the reconnect check; ADR 0081 — the web client reconnects on every channel
//    switch, which must not drop it from voice).
// Removal is RemoveVoiceParticipant on the user's voice stream; a failed append is logged and
// retried by the next sweep (expiry) or not at all (disconnect: expiry then removes it).
// With several api processes (fenced writers, ADR 0096) the periodic sweep skips the voice
// streams of partitions this process does not write now: their writer sweeps them.
class VoiceSweeper final : public gateway::ConnectionObserver {
 public:
  // Answers whether a user holds a gateway connection again (anywhere); it may block briefly
  // (a database query). Without one, every gone user is removed after the grace.
  using ReconnectCheck = std::function<bool(const std::string& user_id)>;

  VoiceSweeper(commands::CommandService& commands, projections::GuildQueries& guilds,
               const core::Clock& clock, int64_t interval_secs,
               std::chrono::milliseconds disconnect_grace);
  ~VoiceSweeper() override;  // Stop()s
  void Start();
  void Stop();  // idempotent

  // Set once the gateway exists (before users can be gone); thread-safe.
  void SetReconnectCheck(ReconnectCheck check);
  // For a process that runs no gateway (no OnUserGone): every sweep asks `connected` about the
  // users it sweeps, and removes one that was seen connected at a sweep and has been seen
  // without a connection at sweeps spanning at least the grace (ADR 0096). A user never seen
  // connected is left to expiry. Call before Start().
  void WatchConnections(ReconnectCheck connected);

  // ConnectionObserver: queues the removal, due after the grace (never blocks the caller).
  void OnUserGone(const std::string& user_id) override;

  // One sweep (the periodic tick); public for tests.
  void SweepOnce();

 private:
  void RunDisconnects();
  void Remove(const std::string& user_id, const std::string& guild_id,
              const std::string& channel_id, const std::string& reason, bool only_if_expired);
  bool LostAccess(const commands::VoiceRegistry::Entry& entry);
  // WatchConnections: whether `user_id` has been seen without a connection for the grace.
  bool GoneLongEnough(const std::string& user_id, std::chrono::steady_clock::time_point now);

  commands::CommandService& commands_;
  projections::GuildQueries& guilds_;
  const core::Clock& clock_;
  // user:guild:channel → the permission bits last seen (a change that drops
  // subscribe_streams removes the participant). Sweep thread only.
  std::map<std::string, uint64_t> seen_permissions_;
  // WatchConnections: the users seen connected, and since when each has been seen without.
  ReconnectCheck watch_connected_;
  std::map<std::string, std::chrono::steady_clock::time_point> seen_gone_since_;
  std::set<std::string> seen_connected_;
  core::PeriodicTask task_;

  using Due = std::chrono::steady_clock::time_point;
  const std::chrono::milliseconds disconnect_grace_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::pair<Due, std::string>> gone_;  // in due order (one grace for all)
  ReconnectCheck reconnected_;
  bool stopping_ = false;
  std::thread disconnects_;
};

}  // namespace filament::app
