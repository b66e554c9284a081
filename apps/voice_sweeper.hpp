#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
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
//  - at once, on its own thread: every participation of a user whose last gateway connection
//    closed (OnUserGone, the gateway's ConnectionObserver port).
// Removal is RemoveVoiceParticipant on the user's voice stream; a failed append is logged and
// retried by the next sweep (expiry) or not at all (disconnect: expiry then removes it).
class VoiceSweeper final : public gateway::ConnectionObserver {
 public:
  VoiceSweeper(commands::CommandService& commands, projections::GuildQueries& guilds,
               const core::Clock& clock, int64_t interval_secs);
  ~VoiceSweeper() override;  // Stop()s
  void Start();
  void Stop();  // idempotent

  // ConnectionObserver: queues the removal (never blocks the caller).
  void OnUserGone(const std::string& user_id) override;

  // One sweep (the periodic tick); public for tests.
  void SweepOnce();

 private:
  void RunDisconnects();
  void Remove(const std::string& user_id, const std::string& guild_id,
              const std::string& channel_id, const std::string& reason, bool only_if_expired);
  bool LostAccess(const commands::VoiceRegistry::Entry& entry);

  commands::CommandService& commands_;
  projections::GuildQueries& guilds_;
  const core::Clock& clock_;
  // user:guild:channel → the permission bits last seen (a change that drops
  // subscribe_streams removes the participant). Sweep thread only.
  std::map<std::string, uint64_t> seen_permissions_;
  core::PeriodicTask task_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::string> gone_;
  bool stopping_ = false;
  std::thread disconnects_;
};

}  // namespace filament::app
