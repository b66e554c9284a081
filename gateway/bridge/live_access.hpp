#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "commands/guild/guild_state.hpp"
#include "events/log_record.hpp"
#include "gateway/ports.hpp"
#include "gateway/replay.hpp"

namespace filament::gateway {

// Who may see which channel, folded from the log itself (the command side's GuildState fold
// and permission evaluation, commands/), at the log position the bridge has reached. The
// bridge evaluates it per subscriber for every delivery, so no event reaches a connection that
// lacks create_message on its channel at that position, whatever the read models say; and it
// answers `subscribe` (a grant is usable as soon as the bridge has folded it).
//
// A per-(channel, user) cache makes a delivery a hash lookup; any event that can change
// access (roles, assignments, overrides, members, bans, channels) drops the guild's cache.
// Thread-safe (one mutex): the bridge thread folds and filters, gateway workers subscribe.
class LiveAccess final : public SubscribeAuthorizer {
 public:
  // `server_owner_user_id`: the configured owner; when empty, the owner recorded on the log
  // (ServerOwnerChanged, ADR 0066) is followed as the bridge folds it.
  explicit LiveAccess(std::string server_owner_user_id);

  // Folds one guild-stream record (and the server stream's owner changes). Returns the guild id
  // when the record may have changed access in it (the caller then revalidates that guild's
  // subscriptions), else nullopt. Records that do not decode are skipped (the bridge counts them).
  std::optional<std::string> Apply(const events::StoredRecord& record);

  // Replaces the fold by one taken elsewhere at a log position (BridgeStart, ADR 0085): the
  // guild states (their messages are not needed) and the server owner recorded on the log
  // (ignored when one is configured). Before the bridge starts following the log.
  void Install(std::unordered_map<std::string, commands::GuildState> guilds,
               const std::string& recorded_server_owner);

  // create_message on the channel (or the server owner and the channel exists).
  bool Visible(const std::string& user_id, const std::string& guild_id,
               const std::string& channel_id);
  // A non-banned member (or the server owner).
  bool IsMember(const std::string& user_id, const std::string& guild_id);

  // SubscribeAuthorizer: Visible() at the bridge's current position.
  core::Result<bool> MayView(const std::string& user_id, const std::string& guild_id,
                             const std::string& channel_id) override {
    return Visible(user_id, guild_id, channel_id);
  }

  // Gateway v2 (ADR 0060): who may see what in the guild as of now, frozen — the replay
  // window keeps it with the records after which it was taken. An unknown guild sees nothing.
  // The authorization part of the fold is copied once per access change that is followed by a
  // snapshot.
  std::shared_ptr<const AccessView> Snapshot(const std::string& guild_id);

  int64_t cache_hits() const { return hits_; }
  int64_t cache_misses() const { return misses_; }

 private:
  struct Guild {
    commands::GuildState state;
    // channel → user → may view
    std::unordered_map<std::string, std::unordered_map<std::string, bool>> cache;
    std::shared_ptr<const AccessView> snapshot;  // of `state` as it is now; reset by Apply
  };
  bool MayViewLocked(Guild& guild, const std::string& user_id, const std::string& channel_id);

  const bool owner_configured_;
  std::string server_owner_;  // under mu_
  std::mutex mu_;
  std::unordered_map<std::string, Guild> guilds_;
  int64_t hits_ = 0;
  int64_t misses_ = 0;
};

}  // namespace filament::gateway
