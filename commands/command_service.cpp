#include "commands/command_service.hpp"

#include <algorithm>
#include <map>

#include "events/log_scan.hpp"

namespace filament::commands {

std::optional<events::Position> Appended::Last() const {
  if (positions.empty()) return std::nullopt;
  return positions.back();
}

CommandService::CommandService(events::EventLog& log, const core::Clock& clock,
                               core::UlidGenerator& ids, CredentialStore& credentials,
                               core::Limits limits)
    : log_(log), clock_(clock), ids_(ids), credentials_(credentials), limits_(limits) {}

std::string CommandService::NewId() {
  return ids_.Next(static_cast<uint64_t>(clock_.NowUnixMs())).ToString();
}

CommandService::GuildSlot& CommandService::SlotFor(const std::string& guild_id) {
  std::lock_guard lock(slots_mutex_);
  auto& slot = slots_[guild_id];
  if (!slot) slot = std::make_unique<GuildSlot>();
  return *slot;
}

CommandService::GuildSlot* CommandService::FindSlot(const std::string& guild_id) {
  std::lock_guard lock(slots_mutex_);
  auto it = slots_.find(guild_id);
  return it == slots_.end() ? nullptr : it->second.get();
}

std::mutex& CommandService::CreatorLock(const std::string& user_id) {
  std::lock_guard lock(slots_mutex_);
  auto& mutex = creator_locks_[user_id];
  if (!mutex) mutex = std::make_unique<std::mutex>();
  return *mutex;
}

core::Status CommandService::Start() {
  auto ends = log_.EndOffsets();
  if (!ends.ok()) return ends.error();
  return events::ReadLogUpTo(
      log_, *ends, [this](const events::StoredRecord& stored) { return FoldRecord(stored); });
}

core::Status CommandService::FoldRecord(const events::StoredRecord& stored) {
  const auto& meta = stored.record.meta;
  auto where = [&] {
    return " at " + events::FormatPosition(stored.position) + " (" + meta.type + ")";
  };
  if (stored.decode_error) {
    return core::Internal("undecodable log record" + where() + ": " + stored.decode_error->message);
  }
  auto event = events::DecodeEvent(meta.type, meta.schema_version, stored.record.payload);
  if (!event.ok())
    return core::Internal("undecodable event" + where() + ": " + event.error().message);
  Apply(directory_, *event);
  if (auto guild_event = events::AsGuildEvent(*event)) {
    auto guild_id = meta.stream.substr(meta.stream.find(':') + 1);
    GuildSlot& slot = SlotFor(guild_id);
    if (meta.stream_version != slot.state.version + 1) {
      return core::Internal("stream version gap" + where() + ": expected " +
                            std::to_string(slot.state.version + 1) + ", got " +
                            std::to_string(meta.stream_version));
    }
    Apply(slot.state, *guild_event);
  }
  return core::OkStatus();
}

core::Result<std::vector<events::Position>> CommandService::AppendRecords(
    const CommandContext& ctx, const std::string& stream, int64_t expected_version,
    const std::vector<events::Event>& decided) {
  events::AppendBatch batch{stream, expected_version, {}};
  const int64_t now_ms = clock_.NowUnixMs();
  const std::string causation_id = NewId();
  for (const auto& event : decided) {
    events::LogRecord record;
    record.meta = events::RecordMeta{
        .event_id = NewId(),
        .type = std::string(events::TypeOf(event)),
        .schema_version = events::SchemaVersionOf(event),
        .stream = stream,
        .stream_version = expected_version + static_cast<int64_t>(batch.records.size()) + 1,
        .time_unix_ms = now_ms,
        .actor_user_id = ctx.actor_user_id,
        .correlation_id = ctx.request_id,
        .causation_id = causation_id,
    };
    record.payload = events::EncodePayload(event);
    batch.records.push_back(std::move(record));
  }
  return log_.Append(batch);
}

core::Result<Appended> CommandService::AppendGuildEvents(const CommandContext& ctx, GuildSlot& slot,
                                                         const std::string& guild_id,
                                                         GuildEvents decided) {
  if (decided.empty()) return Appended{};
  Appended appended;
  for (const auto& e : decided) appended.events.push_back(events::ToEvent(e));
  auto positions = AppendRecords(ctx, "guild:" + guild_id, slot.state.version, appended.events);
  if (!positions.ok()) return positions.error();
  appended.positions = std::move(*positions);
  for (const auto& e : decided) Apply(slot.state, e);
  // Only guild creation changes the directory (the creator cap); messages skip the lock.
  if (std::any_of(decided.begin(), decided.end(), [](const events::GuildEvent& e) {
        return std::holds_alternative<events::GuildCreated>(e);
      })) {
    std::lock_guard lock(directory_mutex_);
    for (const auto& e : appended.events) Apply(directory_, e);
  }
  return appended;
}

core::Result<Appended> CommandService::RegisterUser(const CommandContext& ctx,
                                                    const std::string& username,
                                                    const std::string& password_hash) {
  std::lock_guard lock(directory_mutex_);
  const std::string user_id = NewId();
  auto decided = Decide(directory_, commands::RegisterUser{user_id, username, clock_.NowUnix()});
  if (!decided.ok()) return decided.error();
  if (decided->empty()) return Appended{};
  auto claimed = credentials_.Claim(user_id, username, password_hash);
  if (!claimed.ok()) return claimed.error();
  if (!*claimed) return Appended{};  // taken by another process: same answer, no enumeration
  Appended appended;
  for (const auto& e : *decided) appended.events.push_back(events::ToEvent(e));
  CommandContext own = ctx;
  own.actor_user_id = user_id;
  auto positions = AppendRecords(own, "user:" + user_id, 0, appended.events);
  if (!positions.ok()) {
    (void)credentials_.Release(user_id);  // best effort; a stale claim only blocks the name
    return positions.error();
  }
  appended.positions = std::move(*positions);
  for (const auto& e : appended.events) Apply(directory_, e);
  return appended;
}

core::Result<Appended> CommandService::CreateGuild(const CommandContext& ctx,
                                                   const std::string& name,
                                                   const std::string& visibility) {
  std::lock_guard creator_lock(CreatorLock(ctx.actor_user_id));
  int64_t created = 0;
  {
    std::lock_guard lock(directory_mutex_);
    auto it = directory_.guilds_created_by_user.find(ctx.actor_user_id);
    if (it != directory_.guilds_created_by_user.end()) created = it->second;
  }
  commands::CreateGuild cmd{NewId(),
                            name,
                            visibility,
                            ctx.actor_user_id,
                            NewId(),
                            NewId(),
                            NewId(),
                            NewId(),
                            clock_.NowUnix(),
                            created,
                            limits_.max_created_guilds_per_user};
  // The guild id is fresh, so nobody else can touch its stream: decide first, and allocate
  // the slot only for an accepted command.
  auto decided = Decide(GuildState{}, cmd);
  if (!decided.ok()) return decided.error();
  GuildSlot& slot = SlotFor(cmd.guild_id);
  std::lock_guard lock(slot.mutex);
  return AppendGuildEvents(ctx, slot, cmd.guild_id, std::move(*decided));
}

core::Result<Appended> CommandService::CreateChannel(const CommandContext& ctx,
                                                     const std::string& guild_id,
                                                     const std::string& name,
                                                     const std::string& kind) {
  return OnExistingGuild(ctx, guild_id, [&] {
    return commands::CreateChannel{guild_id, NewId(),           name,
                                   kind,     ctx.actor_user_id, clock_.NowUnix()};
  });
}

core::Result<Appended> CommandService::JoinGuild(const CommandContext& ctx,
                                                 const std::string& guild_id) {
  return OnExistingGuild(ctx, guild_id, [&] {
    return commands::JoinGuild{guild_id, ctx.actor_user_id, clock_.NowUnix()};
  });
}

core::Result<Appended> CommandService::PostMessage(const CommandContext& ctx,
                                                   const std::string& guild_id,
                                                   const std::string& channel_id,
                                                   const std::string& content,
                                                   const std::vector<std::string>& attachment_ids) {
  // The id is minted under the stream lock, so message ids increase in log order.
  return OnExistingGuild(ctx, guild_id, [&] {
    return commands::PostMessage{guild_id, channel_id,     NewId(),         ctx.actor_user_id,
                                 content,  attachment_ids, clock_.NowUnix()};
  });
}

}  // namespace filament::commands
