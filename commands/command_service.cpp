#include "commands/command_service.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "commands/guild/workspace.hpp"
#include "commands/snapshot/snapshot_loader.hpp"
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

CommandService::~CommandService() {
  if (writers_) writers_->Stop();
}

std::mutex& CommandService::CreatorLock(const std::string& user_id) {
  std::lock_guard lock(creator_locks_mutex_);
  auto& mutex = creator_locks_[user_id];
  if (!mutex) mutex = std::make_unique<std::mutex>();
  return *mutex;
}

core::Status CommandService::Start() {
  const auto started = std::chrono::steady_clock::now();
  auto ends = log_.EndOffsets();
  if (!ends.ok()) return ends.error();
  auto fold = snapshot::LoadNewestSnapshot(snapshots_, log_, *ends, snapshot_log_);
  const std::vector<int64_t> from = fold->ends;
  if (observe_fold_) {
    std::vector<int64_t> middle = *ends;
    for (size_t p = 0; p < middle.size(); ++p) {
      middle[p] = std::max(from[p], middle[p] - observe_before_end_);
    }
    FILAMENT_RETURN_IF_ERROR(snapshot::FoldTail(log_, *fold, middle));
    observe_fold_(*fold);
  }
  FILAMENT_RETURN_IF_ERROR(snapshot::FoldTail(log_, *fold, *ends));
  int64_t tail = 0;
  for (size_t p = 0; p < from.size(); ++p) tail += (*ends)[p] - from[p];
  Install(std::move(fold));
  if (writers_) FILAMENT_RETURN_IF_ERROR(writers_->Start(*ends));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  snapshot_log_("command state: folded " + std::to_string(tail) +
                " records after the snapshot in " + std::to_string(ms) + " ms");
  return core::OkStatus();
}

void CommandService::UseSnapshots(SnapshotStore* store,
                                  std::function<void(const std::string&)> log_line) {
  snapshots_ = store;
  if (log_line) snapshot_log_ = std::move(log_line);
}

void CommandService::ObserveStartFold(int64_t records_before_end,
                                      std::function<void(CommandFold&)> observe) {
  observe_before_end_ = std::max<int64_t>(0, records_before_end);
  observe_fold_ = std::move(observe);
}

void CommandService::UseFencedWriters(std::function<void(const std::string&)> log_line) {
  writers_log_ = log_line ? std::move(log_line) : [](const std::string&) {};
  writers_ = std::make_unique<PartitionWriters>(
      log_, [this](const events::StoredRecord& stored) { return Follow(stored); }, writers_log_);
}

int32_t CommandService::OwnedPartitions() const {
  return writers_ ? writers_->OwnedCount() : log_.Partitions();
}

namespace {

// Moves the states of `folded` into `slots`: their side effects are in the fold's directory.
template <typename State>
void InstallStates(std::unordered_map<std::string, State>& folded, StreamStates<State>& slots) {
  for (auto& [id, state] : folded) {
    auto& slot = slots.FindOrCreate(id);
    slot.side_version = state.version;
    slot.state = std::move(state);
  }
}

}  // namespace

// Moves a fold into the per-stream slots (Start() runs before any command).
void CommandService::Install(std::unique_ptr<CommandFold> fold) {
  for (auto& [id, state] : fold->voices) voice_registry_.Set(id, state.participation);
  InstallStates(fold->guilds, guilds_);
  for (const auto& [id, state] : fold->guilds) {  // decoded on first use (ADR 0095)
    guilds_.FindOrCreate(id).rest = fold->TakeGuildBody(id);
  }
  InstallStates(fold->users, users_);
  InstallStates(fold->friendships, friendships_);
  InstallStates(fold->voices, voices_);
  directory_ = std::move(fold->directory);
  attachment_quota_.Restore(fold->attachments.Live());
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
  const std::string user_id = Minter(ids_, clock_).NewId();
  return OnceMoreIfFenced([&] { return RegisterUserOnce(ctx, user_id, username, password_hash); });
}

core::Result<Appended> CommandService::RegisterUserOnce(const CommandContext& ctx,
                                                        const std::string& user_id,
                                                        const std::string& username,
                                                        const std::string& password_hash) {
  Minter minter(ids_, clock_);
  FILAMENT_RETURN_IF_ERROR(OwnStream("user:" + user_id));  // before the directory lock
  std::lock_guard lock(directory_mutex_);
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
  // The slot is held across the append, so the log follower folds the record only after it.
  auto& slot = users_.FindOrCreate(user_id);
  std::lock_guard slot_lock(slot.mutex);
  auto positions = AppendRecords(own, "user:" + user_id, 0, appended.events);
  if (!positions.ok()) {
    (void)credentials_.Release(user_id);  // best effort; a stale claim only blocks the name
    return AppendFailed("user:" + user_id, positions.error());
  }
  appended.positions = std::move(*positions);
  for (const auto& e : appended.events) Apply(directory_, e);  // under the directory lock
  for (const auto& e : *decided) Apply(slot.state, e);
  slot.side_version = slot.state.version;
  return appended;
}

core::Result<Appended> CommandService::CreateGuild(const CommandContext& ctx,
                                                   const std::string& name,
                                                   const std::string& visibility) {
  Minter minter(ids_, clock_);
  const commands::CreateGuild cmd{.guild_id = minter.NewId(),
                                  .name = name,
                                  .visibility = visibility,
                                  .creator_user_id = ctx.actor_user_id,
                                  .everyone_role_id = minter.NewId(),
                                  .owner_role_id = minter.NewId(),
                                  .moderator_role_id = minter.NewId(),
                                  .member_role_id = minter.NewId(),
                                  .now_unix = minter.NowUnix()};
  return OnceMoreIfFenced([&] { return CreateGuildOnce(ctx, cmd); });
}

core::Result<Appended> CommandService::CreateGuildOnce(const CommandContext& ctx,
                                                       commands::CreateGuild cmd) {
  std::lock_guard creator_lock(CreatorLock(ctx.actor_user_id));
  {
    std::lock_guard lock(directory_mutex_);
    auto it = directory_.guilds_created_by_user.find(ctx.actor_user_id);
    cmd.guilds_already_created = it != directory_.guilds_created_by_user.end() ? it->second : 0;
  }
  cmd.max_created_guilds = limits_.max_created_guilds_per_user;
  // The guild id is fresh, so nobody else can touch its stream: decide first, and allocate
  // the slot only for an accepted command.
  auto decided = Decide(GuildState{}, cmd);
  if (!decided.ok()) return decided.error();
  FILAMENT_RETURN_IF_ERROR(OwnStream("guild:" + cmd.guild_id));
  auto& slot = guilds_.FindOrCreate(cmd.guild_id);
  std::lock_guard lock(slot.mutex);
  return Commit(ctx, "guild:" + cmd.guild_id, slot, std::move(*decided));
}

std::vector<VoiceRegistry::Entry> CommandService::VoiceParticipants() {
  std::lock_guard lock(voice_mutex_);
  return voice_registry_.Entries();
}

bool CommandService::UserExists(const std::string& user_id) {
  auto known = [&] {
    std::lock_guard lock(directory_mutex_);
    return directory_.username_by_user_id.count(user_id) != 0;
  };
  return known() || (CaughtUpOn("user:" + user_id) && known());
}

std::optional<std::string> CommandService::UsernameOf(const std::string& user_id) {
  auto known = [&]() -> std::optional<std::string> {
    std::lock_guard lock(directory_mutex_);
    auto it = directory_.username_by_user_id.find(user_id);
    if (it == directory_.username_by_user_id.end()) return std::nullopt;
    return it->second;
  };
  auto name = known();
  if (!name && CaughtUpOn("user:" + user_id)) name = known();
  return name;
}

std::optional<std::pair<std::string, std::string>> CommandService::FriendRequestParties(
    const std::string& request_id) {
  auto known = [&]() -> std::optional<std::pair<std::string, std::string>> {
    std::lock_guard lock(directory_mutex_);
    auto it = directory_.friend_pair_by_request.find(request_id);
    if (it == directory_.friend_pair_by_request.end()) return std::nullopt;
    const std::string& key = it->second;
    const size_t dot = key.find('.');
    return std::make_pair(key.substr(0, dot), key.substr(dot + 1));
  };
  auto parties = known();
  if (!parties && CaughtUpOnAll()) parties = known();  // the pair's stream is not known here
  return parties;
}

core::Result<Appended> CommandService::UpdateProfileOnce(const CommandContext& ctx,
                                                         const std::string& user_id,
                                                         commands::UpdateProfile cmd) {
  FILAMENT_RETURN_IF_ERROR(OwnStream("user:" + user_id));  // before the directory lock
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
    return AppendFailed("user:" + user_id, positions.error());
  }
  appended.positions = std::move(*positions);
  for (const auto& e : *decided) Apply(slot->state, e);
  for (const auto& e : appended.events) Apply(directory_, e);  // under the directory lock
  slot->side_version = slot->state.version;
  return appended;
}

}  // namespace filament::commands
