#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/guild/guild_commands.hpp"
#include "commands/ports.hpp"
#include "commands/user/user_directory.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/ulid.hpp"
#include "events/event_log.hpp"
#include "events/generated/event_types.hpp"

namespace filament::commands {

// Who asked and under which request: becomes the records' actor and correlation id.
struct CommandContext {
  std::string actor_user_id;
  std::string request_id;
};

// What a successful command appended (empty for a no-op, e.g. "already_member").
struct Appended {
  std::vector<events::Event> events;
  std::vector<events::Position> positions;  // one per event
  std::optional<events::Position> Last() const;
};

// The write side: load state → Decide → append, per aggregate stream.
//
//   REST/gateway ──▶ CommandService ──▶ Decide(state, cmd) ──▶ EventLog::Append(expected version)
//                        │ per-stream mutex                        │
//                        └──── in-memory folds (GuildState, UserDirectory) ◀── applied on success
//
// States are folded from the whole log at Start() and kept current by applying every batch
// this service appends, so decisions are linearizable per stream as long as this is the only
// command writer (docs/adr/0002-command-state.md). The log's expected-version check is the
// safety net: a second writer gets kAborted, never a forked stream.
// Thread-safe: commands on different streams run in parallel; on one stream, one at a time.
class CommandService {
 public:
  CommandService(events::EventLog& log, const core::Clock& clock, core::UlidGenerator& ids,
                 CredentialStore& credentials, core::Limits limits);

  // Folds the log up to its current end. Errors: a record that fails to decode (the message
  // names its position and type), or the log being unreachable.
  core::Status Start();

  // `password_hash` is already hashed (hashing is slow and runs outside any lock).
  core::Result<Appended> RegisterUser(const CommandContext& ctx, const std::string& username,
                                      const std::string& password_hash);
  core::Result<Appended> CreateGuild(const CommandContext& ctx, const std::string& name,
                                     const std::string& visibility);
  core::Result<Appended> CreateChannel(const CommandContext& ctx, const std::string& guild_id,
                                       const std::string& name, const std::string& kind);
  core::Result<Appended> JoinGuild(const CommandContext& ctx, const std::string& guild_id);
  core::Result<Appended> PostMessage(const CommandContext& ctx, const std::string& guild_id,
                                     const std::string& channel_id, const std::string& content,
                                     const std::vector<std::string>& attachment_ids);

 private:
  struct GuildSlot {
    std::mutex mutex;  // serializes commands on this stream
    GuildState state;
  };

  GuildSlot& SlotFor(const std::string& guild_id);
  GuildSlot* FindSlot(const std::string& guild_id);  // never creates: ids come from clients

  // Runs Decide on an existing guild's state under its stream lock; `make_command` is called
  // under the lock (ids minted there follow log order). An unknown guild is decided against
  // an empty state, so the decider picks the contract's error without allocating a slot.
  template <typename MakeCommand>
  core::Result<Appended> OnExistingGuild(const CommandContext& ctx, const std::string& guild_id,
                                         MakeCommand&& make_command) {
    GuildSlot* slot = FindSlot(guild_id);
    if (slot == nullptr) {
      static const GuildState kNoGuild;
      auto decided = Decide(kNoGuild, make_command());
      if (!decided.ok()) return decided.error();
      return core::Internal("decider accepted a command on a guild that does not exist");
    }
    std::lock_guard lock(slot->mutex);
    auto decided = Decide(slot->state, make_command());
    if (!decided.ok()) return decided.error();
    return AppendGuildEvents(ctx, *slot, guild_id, std::move(*decided));
  }
  std::mutex& CreatorLock(const std::string& user_id);
  core::Result<Appended> AppendGuildEvents(const CommandContext& ctx, GuildSlot& slot,
                                           const std::string& guild_id, GuildEvents decided);
  core::Result<std::vector<events::Position>> AppendRecords(
      const CommandContext& ctx, const std::string& stream, int64_t expected_version,
      const std::vector<events::Event>& decided);
  core::Status FoldRecord(const events::StoredRecord& stored);
  std::string NewId();

  events::EventLog& log_;
  const core::Clock& clock_;
  core::UlidGenerator& ids_;
  CredentialStore& credentials_;
  core::Limits limits_;

  std::mutex slots_mutex_;
  std::unordered_map<std::string, std::unique_ptr<GuildSlot>> slots_;
  std::unordered_map<std::string, std::unique_ptr<std::mutex>> creator_locks_;

  std::mutex directory_mutex_;  // guards directory_; also serializes registrations
  UserDirectory directory_;
};

}  // namespace filament::commands
