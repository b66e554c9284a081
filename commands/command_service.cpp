#include "commands/command_service.hpp"

#include <algorithm>
#include <map>

#include "commands/guild/workspace.hpp"
#include "events/log_scan.hpp"

namespace filament::commands {

std::optional<events::Position> Appended::Last() const {
  if (positions.empty()) return std::nullopt;
  return positions.back();
}

CommandService::CommandService(events::EventLog& log, const core::Clock& clock,
                               core::UlidGenerator& ids, CredentialStore& credentials,
                               core::Limits limits)
    : log_(log),
      clock_(clock),
      ids_(ids),
      credentials_(credentials),
      limits_(limits),
      attachment_quota_(static_cast<uint64_t>(limits.user_attachment_quota_bytes)) {}

std::mutex& CommandService::CreatorLock(const std::string& user_id) {
  std::lock_guard lock(creator_locks_mutex_);
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

template <typename State, typename StreamEvent>
core::Status CommandService::FoldInto(StreamStates<State>& states, const events::RecordMeta& meta,
                                      const StreamEvent& event) {
  auto& slot = states.FindOrCreate(meta.stream.substr(meta.stream.find(':') + 1));
  if (meta.stream_version != slot.state.version + 1) {
    return core::Internal("stream version gap at " + meta.stream + ": expected " +
                          std::to_string(slot.state.version + 1) + ", got " +
                          std::to_string(meta.stream_version));
  }
  Apply(slot.state, event);
  return core::OkStatus();
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
  attachment_quota_.Apply(*event);
  core::Status folded = core::OkStatus();
  if (auto guild_event = events::AsGuildEvent(*event)) {
    folded = FoldInto(guilds_, meta, *guild_event);
  } else if (auto user_event = events::AsUserEvent(*event)) {
    folded = FoldInto(users_, meta, *user_event);
  } else if (auto pair_event = events::AsFriendshipEvent(*event)) {
    folded = FoldInto(friendships_, meta, *pair_event);
  } else if (auto voice_event = events::AsVoiceEvent(*event)) {
    folded = FoldInto(voices_, meta, *voice_event);
    const std::string user_id = meta.stream.substr(meta.stream.find(':') + 1);
    if (folded.ok())
      voice_registry_.Set(user_id, voices_.FindOrCreate(user_id).state.participation);
  }
  if (!folded.ok()) return core::Internal(folded.error().message + where());
  return core::OkStatus();
}

void CommandService::ApplyToDirectory(const std::vector<events::Event>& appended) {
  // Most commands (messages above all) change nothing the directory folds: skip its lock.
  bool concerns_directory = std::any_of(appended.begin(), appended.end(),
                                        [](const auto& e) { return ConcernsDirectory(e); });
  if (!concerns_directory) return;
  std::lock_guard lock(directory_mutex_);
  for (const auto& e : appended) Apply(directory_, e);
}

core::Result<std::vector<events::Position>> CommandService::AppendRecords(
    const CommandContext& ctx, const std::string& stream, int64_t expected_version,
    const std::vector<events::Event>& decided) {
  events::AppendBatch batch{stream, expected_version, {}};
  Minter minter(ids_, clock_);
  AddRecords(ctx, decided, batch, minter);
  return log_.Append(batch);
}

void CommandService::AddRecords(const CommandContext& ctx,
                                const std::vector<events::Event>& decided,
                                events::AppendBatch& batch, Minter& minter) {
  const int64_t now_ms = clock_.NowUnixMs();
  const std::string causation_id = minter.NewId();
  for (const auto& event : decided) {
    events::LogRecord record;
    record.meta = events::RecordMeta{
        .event_id = minter.NewId(),
        .type = std::string(events::TypeOf(event)),
        .schema_version = events::SchemaVersionOf(event),
        .stream = batch.stream,
        .stream_version = batch.expected_version + static_cast<int64_t>(batch.records.size()) + 1,
        .time_unix_ms = now_ms,
        .actor_user_id = ctx.actor_user_id,
        .correlation_id = ctx.request_id,
        .causation_id = causation_id,
    };
    record.payload = events::EncodePayload(event);
    batch.records.push_back(std::move(record));
  }
}

namespace {

core::Status OtherCategory(const events::Event& event) {
  return core::Internal("event " + std::string(events::TypeOf(event)) +
                        " in a stream of another category");
}

}  // namespace

core::Status CommandService::FoldLogged(GuildState& state, const events::Event& event) {
  auto typed = events::AsGuildEvent(event);
  if (!typed) return OtherCategory(event);
  Apply(state, *typed);
  return core::OkStatus();
}

core::Status CommandService::FoldLogged(UserState& state, const events::Event& event) {
  auto typed = events::AsUserEvent(event);
  if (!typed) return OtherCategory(event);
  Apply(state, *typed);
  return core::OkStatus();
}

core::Status CommandService::FoldLogged(FriendshipState& state, const events::Event& event) {
  auto typed = events::AsFriendshipEvent(event);
  if (!typed) return OtherCategory(event);
  Apply(state, *typed);
  return core::OkStatus();
}

core::Result<Appended> CommandService::RegisterUser(const CommandContext& ctx,
                                                    const std::string& username,
                                                    const std::string& password_hash) {
  std::lock_guard lock(directory_mutex_);
  Minter minter(ids_, clock_);
  const std::string user_id = minter.NewId();
  auto decided = Decide(directory_, commands::RegisterUser{user_id, username, minter.NowUnix()});
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
  for (const auto& e : appended.events) Apply(directory_, e);  // under the directory lock
  auto& slot = users_.FindOrCreate(user_id);
  std::lock_guard slot_lock(slot.mutex);
  for (const auto& e : *decided) Apply(slot.state, e);
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
  Minter minter(ids_, clock_);
  commands::CreateGuild cmd{.guild_id = minter.NewId(),
                            .name = name,
                            .visibility = visibility,
                            .creator_user_id = ctx.actor_user_id,
                            .everyone_role_id = minter.NewId(),
                            .owner_role_id = minter.NewId(),
                            .moderator_role_id = minter.NewId(),
                            .member_role_id = minter.NewId(),
                            .now_unix = minter.NowUnix(),
                            .guilds_already_created = created,
                            .max_created_guilds = limits_.max_created_guilds_per_user};
  // The guild id is fresh, so nobody else can touch its stream: decide first, and allocate
  // the slot only for an accepted command.
  auto decided = Decide(GuildState{}, cmd);
  if (!decided.ok()) return decided.error();
  auto& slot = guilds_.FindOrCreate(cmd.guild_id);
  std::lock_guard lock(slot.mutex);
  return Commit(ctx, "guild:" + cmd.guild_id, slot.state, std::move(*decided));
}

std::vector<VoiceRegistry::Entry> CommandService::VoiceParticipants() {
  std::lock_guard lock(voice_mutex_);
  return voice_registry_.Entries();
}

bool CommandService::UserExists(const std::string& user_id) {
  std::lock_guard lock(directory_mutex_);
  return directory_.username_by_user_id.count(user_id) != 0;
}

std::optional<std::string> CommandService::UsernameOf(const std::string& user_id) {
  std::lock_guard lock(directory_mutex_);
  auto it = directory_.username_by_user_id.find(user_id);
  if (it == directory_.username_by_user_id.end()) return std::nullopt;
  return it->second;
}

std::optional<std::pair<std::string, std::string>> CommandService::FriendRequestParties(
    const std::string& request_id) {
  std::lock_guard lock(directory_mutex_);
  auto it = directory_.friend_pair_by_request.find(request_id);
  if (it == directory_.friend_pair_by_request.end()) return std::nullopt;
  const std::string& key = it->second;
  const size_t dot = key.find('.');
  return std::make_pair(key.substr(0, dot), key.substr(dot + 1));
}

core::Result<Appended> CommandService::UpdateProfile(const CommandContext& ctx,
                                                     const std::string& user_id,
                                                     commands::UpdateProfile cmd) {
  // Directory before stream, as in RegisterUser: renames and registrations are serialized.
  std::lock_guard directory_lock(directory_mutex_);
  auto* slot = users_.Find(user_id);
  if (slot == nullptr) return core::NotFound("unknown user");
  std::lock_guard lock(slot->mutex);
  if (auto fresh = RefoldIfStale<UserState>(*slot, "user:" + user_id); !fresh.ok()) {
    return fresh.error();
  }
  cmd.now_unix = clock_.NowUnix();
  if (cmd.username) {
    auto holder = directory_.user_id_by_username.find(*cmd.username);
    cmd.username_taken =
        holder != directory_.user_id_by_username.end() && holder->second != user_id;
  }
  auto decided = Decide(slot->state, cmd);
  if (!decided.ok()) return decided.error();
  const std::string old_name = slot->state.username;
  const bool renames = cmd.username && *cmd.username != old_name;
  if (renames) {
    auto claimed = credentials_.Rename(user_id, *cmd.username);
    if (!claimed.ok()) return claimed.error();
    if (!*claimed) return core::InvalidArgument("username already taken");
  }
  Appended appended;
  for (const auto& e : *decided) appended.events.push_back(events::ToEvent(e));
  auto positions = AppendRecords(ctx, "user:" + user_id, slot->state.version, appended.events);
  if (!positions.ok()) {
    if (renames) (void)credentials_.Rename(user_id, old_name);  // best effort
    return positions.error();
  }
  appended.positions = std::move(*positions);
  for (const auto& e : *decided) Apply(slot->state, e);
  for (const auto& e : appended.events) Apply(directory_, e);  // under the directory lock
  return appended;
}

}  // namespace filament::commands
