#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/attachment_quota.hpp"
#include "commands/command_batch.hpp"
#include "commands/friendship/friendship_state.hpp"
#include "commands/guild/guild_state.hpp"
#include "commands/guild/workspace.hpp"
#include "commands/partition_writers.hpp"
#include "commands/ports.hpp"
#include "commands/snapshot/command_fold.hpp"
#include "commands/snapshot/snapshot_store.hpp"
#include "commands/stream_scan.hpp"
#include "commands/stream_states.hpp"
#include "commands/user/profile.hpp"
#include "commands/user/user_directory.hpp"
#include "commands/user/user_state.hpp"
#include "commands/voice/voice_state.hpp"
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

// Fresh ids and the current time, handed to a command factory under its stream's lock, so ids
// minted there (message ids, ...) increase in log order.
class Minter {
 public:
  Minter(core::UlidGenerator& ids, const core::Clock& clock) : ids_(ids), clock_(clock) {}
  std::string NewId() { return ids_.Next(static_cast<uint64_t>(clock_.NowUnixMs())).ToString(); }
  int64_t NowUnix() const { return clock_.NowUnix(); }

 private:
  core::UlidGenerator& ids_;
  const core::Clock& clock_;
};

// The write side: one generic command path per stream category,
//
//   OnGuild / OnUser ──▶ slot (per-stream lock) ──▶ Decide(state, make(minter)) ──▶
//   EventLog::Append(expected version) ──▶ Apply to the slot's state (and the UserDirectory)
//
// with the deciders grouped by topic (commands/guild/{workspace,channels,messages}.hpp, ...):
// a route builds its command in `make` and the matching `Decide(const State&, const Command&)`
// overload is picked by the command's type. States are folded from the whole log at Start()
// and kept current by applying every batch this service appends, so decisions are
// linearizable per stream as long as this is the only command writer
// (docs/adr/0002-command-state.md). The log's expected-version check is the safety net: a
// second writer gets kAborted, never a forked stream. With UseFencedWriters() several
// processes share the log (ADR 0091): a command runs only once this process owns its stream's
// partition (taken on demand, fencing the previous owner) and has folded it to the end, and a
// follower thread folds what the other writers append.
// Commands on one stream are group-committed (ADR 0070): callers queue on the stream, and one
// of them decides a batch of queued commands one after another on the stream's state, appends
// all their events as one batch with one expected version, and answers each caller with its
// own events and positions (or its own error) once the batch is durable and folded.
// Thread-safe: commands on different streams run in parallel; on one stream, one at a time.
class CommandService {
 public:
  CommandService(events::EventLog& log, const core::Clock& clock, core::UlidGenerator& ids,
                 CredentialStore& credentials, core::Limits limits);
  ~CommandService();
  CommandService(const CommandService&) = delete;
  CommandService& operator=(const CommandService&) = delete;

  // Folds the log up to its current end. Errors: a record that fails to decode (the message
  // names its position and type), a stream version gap, or the log being unreachable.
  core::Status Start();

  // Command-side snapshots (ADR 0078): Start() then resumes from the newest valid snapshot in
  // `store` and folds only the log after it. Call before Start(); `log_line` says what was
  // loaded or ignored and how long the start took.
  void UseSnapshots(SnapshotStore* store, std::function<void(const std::string&)> log_line);

  // Lends Start()'s fold to `observe` once, in the middle of Start(): at the snapshot's position
  // or later, and at most `records_before_end` records per partition before the log's end
  // (the gateway's log bridge starts from it instead of folding the whole log, ADR 0085).
  // `observe` may copy from the fold; it must leave it as it found it. Call before Start().
  void ObserveStartFold(int64_t records_before_end, std::function<void(CommandFold&)> observe);

  // Several command writers on one log (ADR 0091): `log` was opened in WriterMode::kFenced.
  // Start() then starts a follower of the log, and every command first makes this process the
  // writer of its stream's partition (PartitionWriters). `log_line` reports acquisitions,
  // losses and follower trouble. Call before Start().
  void UseFencedWriters(std::function<void(const std::string&)> log_line);
  // With fenced writers: upload reservations are shared with the other api processes through
  // `shared` (ADR 0096), and the attachment ledger is caught up with the log before each one
  // is decided. Call after UseFencedWriters, before serving.
  void ShareUploadReservations(UploadReservations* shared);
  // Partitions this process may append to: all of them with a single writer, the owned ones
  // with fenced writers.
  int32_t OwnedPartitions() const;
  // Whether this process writes `stream` now without taking its partition first: always with
  // a single writer; with fenced writers, while it owns the stream's partition. Background
  // work (the voice sweeper) acts only on those, so it never moves a partition (ADR 0096).
  bool WritesNow(const std::string& stream) const;
  // The fenced writers' state, or nullptr with a single writer.
  const PartitionWriters* partition_writers() const { return writers_.get(); }

  // Decides the command `make(minter)` against the existing guild `guild_id` and appends its
  // events. An unknown guild is decided against an empty state (the decider picks the
  // contract's error) without allocating a slot. Errors: the decider's, kAborted (another
  // writer appended to the stream: retry), kUnavailable (the log is down).
  template <typename MakeCommand>
  core::Result<Appended> OnGuild(const CommandContext& ctx, const std::string& guild_id,
                                 MakeCommand&& make) {
    return OnExisting(guilds_, "guild", ctx, guild_id, std::forward<MakeCommand>(make));
  }

  // OnGuild without waiting (ADR 0102): queues the command and returns, and `done` is called
  // once with what OnGuild would return, on whichever thread ran the command's batch (possibly
  // this one, before returning). `make` and `done` are kept until then, so they must own what
  // they use. A caller that finds no batch running on the stream runs batches until the
  // stream's queue is empty or a waiting caller takes over.
  template <typename MakeCommand, typename Done>
  void OnGuildDetached(const CommandContext& ctx, const std::string& guild_id, MakeCommand make,
                       Done done) {
    OnExistingDetached(guilds_, "guild", ctx, guild_id, std::move(make), std::move(done));
  }

  // The same on the existing user stream `user_id`.
  template <typename MakeCommand>
  core::Result<Appended> OnUser(const CommandContext& ctx, const std::string& user_id,
                                MakeCommand&& make) {
    return OnExisting(users_, "user", ctx, user_id, std::forward<MakeCommand>(make));
  }

  // The same on the friendship stream of the pair {user_a, user_b} (ADR 0021), created on
  // first use. Errors as above, and kNotFound when either user is not registered (no stream
  // is allocated then).
  template <typename MakeCommand>
  core::Result<Appended> OnFriendship(const CommandContext& ctx, const std::string& user_a,
                                      const std::string& user_b, MakeCommand&& make) {
    if (!UserExists(user_a) || !UserExists(user_b)) return core::NotFound("unknown user");
    const std::string key = FriendPairKey(user_a, user_b);
    return Submit<FriendshipState>(friendships_.FindOrCreate(key), "friendship:" + key, ctx, make);
  }

  // The same on the voice stream of `user_id` (ADR 0054), created on first use. Voice commands
  // run one at a time server-wide (one voice lock), so the deciders see the registry of all
  // voice streams — what the server-wide caps count — exactly as the log has it. Errors as
  // above, and kNotFound when the user is not registered.
  template <typename MakeCommand>
  core::Result<Appended> OnVoice(const CommandContext& ctx, const std::string& user_id,
                                 MakeCommand&& make) {
    if (!UserExists(user_id)) return core::NotFound("unknown user");
    return OnceMoreIfFenced([&]() -> core::Result<Appended> {
      FILAMENT_RETURN_IF_ERROR(OwnStream("voice:" + user_id));
      std::lock_guard voice_lock(voice_mutex_);
      auto& slot = voices_.FindOrCreate(user_id);
      std::lock_guard lock(slot.mutex);
      Minter minter(ids_, clock_);
      auto decided = Decide(VoiceView{slot.state, voice_registry_}, make(minter));
      if (!decided.ok()) return decided.error();
      auto appended = Commit(ctx, "voice:" + user_id, slot, std::move(*decided));
      voice_registry_.Set(user_id, slot.state.participation);
      return appended;
    });
  }

  // Every voice participation the log holds (expired ones until they are removed): what the
  // voice sweeper checks (ADR 0054).
  std::vector<VoiceRegistry::Entry> VoiceParticipants();

  // Facts of the directory (they only ever grow or change by the log, never disappear):
  // whether `user_id` is registered, its current username, and the two parties of a friend
  // request (nullopt for an unknown request id).
  bool UserExists(const std::string& user_id);
  std::optional<std::string> UsernameOf(const std::string& user_id);
  std::optional<std::pair<std::string, std::string>> FriendRequestParties(
      const std::string& request_id);

  // Commands that need facts across streams.
  // PATCH /users/me/profile: a username change is checked against the directory and claimed
  // in the credential store (unique across processes) before its event is appended; the claim
  // is moved back when the append fails. `cmd.now_unix`/`username_taken` are filled here.
  core::Result<Appended> UpdateProfile(const CommandContext& ctx, const std::string& user_id,
                                       const commands::UpdateProfile& cmd) {
    return OnceMoreIfFenced([&] { return UpdateProfileOnce(ctx, user_id, cmd); });
  }
  // Stream-creating commands. The new stream's id is minted once: a second attempt after a
  // fenced append goes to the partition just taken back, not to a new random one that this
  // process may also only believe it owns (another process took it without appending yet).
  // `password_hash` is already hashed (hashing is slow and runs outside any lock). A taken
  // username appends nothing (the caller still answers "accepted": no enumeration).
  core::Result<Appended> RegisterUser(const CommandContext& ctx, const std::string& username,
                                      const std::string& password_hash);
  // Checks the creator cap from the UserDirectory under a per-creator lock.
  core::Result<Appended> CreateGuild(const CommandContext& ctx, const std::string& name,
                                     const std::string& visibility);

  // The attachment quota ledger, kept current with every fold and append (ADR 0040).
  AttachmentQuota& attachment_quota() { return attachment_quota_; }

 private:
  core::Result<Appended> UpdateProfileOnce(const CommandContext& ctx, const std::string& user_id,
                                           commands::UpdateProfile cmd);
  core::Result<Appended> RegisterUserOnce(const CommandContext& ctx, const std::string& user_id,
                                          const std::string& username,
                                          const std::string& password_hash);
  // `cmd` has its ids and time; the creator cap's fields are filled here.
  core::Result<Appended> CreateGuildOnce(const CommandContext& ctx, commands::CreateGuild cmd);

  // Runs `attempt` once more when its append was refused because another process had taken
  // the partition (AppendFailed marked it lost, so the second attempt takes it back first).
  template <typename Attempt>
  core::Result<Appended> OnceMoreIfFenced(Attempt&& attempt) {
    auto result = attempt();
    if (!result.ok() && result.error().code == core::ErrorCode::kUnavailable &&
        result.error().reason == events::kPartitionFencedReason) {
      result = attempt();
    }
    return result;
  }

  template <typename State, typename MakeCommand>
  core::Result<Appended> OnExisting(StreamStates<State>& states, std::string_view category,
                                    const CommandContext& ctx, const std::string& id,
                                    MakeCommand&& make) {
    auto* slot = FindExisting(states, category, id);
    if (slot == nullptr) return DecideOnNone<State>(category, make);
    return Submit<State>(*slot, std::string(category) + ":" + id, ctx, make);
  }

  // The slot of the existing stream `category:id`, or nullptr (looked up again once the
  // stream's partition was just folded, with fenced writers).
  template <typename State>
  typename StreamStates<State>::Slot* FindExisting(StreamStates<State>& states,
                                                   std::string_view category,
                                                   const std::string& id) {
    auto* slot = states.Find(id);
    if (slot == nullptr && CaughtUpOn(std::string(category) + ":" + id)) slot = states.Find(id);
    return slot;
  }

  // A command on a stream that does not exist, decided against an empty state without
  // allocating a slot: the decider picks the contract's error.
  template <typename State, typename MakeCommand>
  core::Result<Appended> DecideOnNone(std::string_view category, MakeCommand& make) {
    Minter minter(ids_, clock_);
    static const State kNone;
    auto decided = Decide(kNone, make(minter));
    if (!decided.ok()) return decided.error();
    return core::Internal("decider accepted a command on a " + std::string(category) +
                          " that does not exist");
  }

  template <typename State, typename MakeCommand, typename Done>
  void OnExistingDetached(StreamStates<State>& states, std::string_view category,
                          const CommandContext& ctx, const std::string& id, MakeCommand make,
                          Done done) {
    auto* slot = FindExisting(states, category, id);
    if (slot == nullptr) return done(DecideOnNone<State>(category, make));
    const std::string stream = std::string(category) + ":" + id;
    // Owned by the queue from here: its Finish() deletes it.
    auto* cmd = std::make_unique<DetachedCommand<State, MakeCommand, Done>>(ctx, std::move(make),
                                                                            std::move(done))
                    .release();
    slot->queue.SubmitDetached(*cmd, static_cast<size_t>(limits_.command_batch_max),
                               [this, slot, stream](const std::vector<QueuedCommandBase*>& batch) {
                                 RunBatch<State>(*slot, stream, batch);
                               });
  }

  // A command queued on its stream (group commit, ADR 0070): the batch's leader builds it,
  // decides it against the batch's working state and, when accepted, folds its events there
  // so the next command of the batch is decided after it.
  template <typename State>
  struct QueuedCommand : QueuedCommandBase {
    explicit QueuedCommand(const CommandContext& c) : ctx(c) {}
    // Decides against `working`; on acceptance folds the events into it and returns them.
    virtual core::Result<std::vector<events::Event>> DecideAndApply(State& working,
                                                                    Minter& minter) = 0;
    const CommandContext& ctx;
    core::Result<Appended> result = Appended{};
  };

  template <typename State, typename MakeCommand>
  struct TypedCommand final : QueuedCommand<State> {
    TypedCommand(const CommandContext& c, MakeCommand& m) : QueuedCommand<State>(c), make(m) {}
    core::Result<std::vector<events::Event>> DecideAndApply(State& working,
                                                            Minter& minter) override {
      return DecideAndApplyWith(make, working, minter);
    }
    static core::Result<std::vector<events::Event>> DecideAndApplyWith(MakeCommand& make,
                                                                       State& working,
                                                                       Minter& minter) {
      auto decided = Decide(static_cast<const State&>(working), make(minter));
      if (!decided.ok()) return decided.error();
      std::vector<events::Event> out;
      for (const auto& e : *decided) {
        out.push_back(events::ToEvent(e));
        Apply(working, e);
      }
      return out;
    }
    MakeCommand& make;
  };

  // A detached command owns its context, factory and answer callback; Finish() answers and
  // deletes it (CommandQueue::SubmitDetached).
  struct OwnedContext {
    CommandContext ctx;
  };
  template <typename State, typename MakeCommand, typename Done>
  struct DetachedCommand final : OwnedContext, QueuedCommand<State> {
    DetachedCommand(const CommandContext& c, MakeCommand m, Done d)
        : OwnedContext{c},
          QueuedCommand<State>(OwnedContext::ctx),
          make(std::move(m)),
          done(std::move(d)) {}
    core::Result<std::vector<events::Event>> DecideAndApply(State& working,
                                                            Minter& minter) override {
      return TypedCommand<State, MakeCommand>::DecideAndApplyWith(make, working, minter);
    }
    void Finish() override {
      std::unique_ptr<DetachedCommand> self(this);  // deleted however `done` returns
      done(std::move(this->result));
    }
    MakeCommand make;
    Done done;
  };

  // Queues `make` on `slot` and returns its own answer once its batch is durable and folded.
  template <typename State, typename MakeCommand>
  core::Result<Appended> Submit(typename StreamStates<State>::Slot& slot, const std::string& stream,
                                const CommandContext& ctx, MakeCommand& make) {
    TypedCommand<State, MakeCommand> cmd(ctx, make);
    slot.queue.Submit(cmd, static_cast<size_t>(limits_.command_batch_max),
                      [&](const std::vector<QueuedCommandBase*>& batch) {
                        RunBatch<State>(slot, stream, batch);
                      });
    return std::move(cmd.result);
  }

  // The leader's part. Owns the stream's partition (fenced writers), then decides and appends
  // the batch under the stream's lock (DecideAndAppend). An append refused because another
  // process took the partition in between is decided again once, after taking it back, so the
  // callers do not see the hand-over.
  template <typename State>
  void RunBatch(typename StreamStates<State>::Slot& slot, const std::string& stream,
                const std::vector<QueuedCommandBase*>& batch) {
    for (int attempt = 0;; ++attempt) {
      if (auto owned = OwnStream(stream); !owned.ok()) {
        for (auto* c : batch) static_cast<QueuedCommand<State>*>(c)->result = owned.error();
        return;
      }
      std::lock_guard lock(slot.mutex);
      if (!DecideAndAppend<State>(slot, stream, batch) || attempt > 0) return;
      for (auto* c : batch) static_cast<QueuedCommand<State>*>(c)->result = Appended{};
    }
  }

  // Under the stream's lock: decides the batch command by command on the slot's state
  // (folding each accepted command before deciding the next), appends every accepted event as
  // ONE batch expecting the version the stream had, and answers each command. A failed append
  // fails every accepted command and folds the stream again from the log (the state had been
  // folded ahead), so it ends exactly as the log has it. Returns whether the append was refused
  // as fenced (the partition is marked lost).
  template <typename State>
  bool DecideAndAppend(typename StreamStates<State>::Slot& slot, const std::string& stream,
                       const std::vector<QueuedCommandBase*>& batch) {
    if (auto fresh = RefoldIfStale<State>(slot, stream); !fresh.ok()) {
      for (auto* c : batch) static_cast<QueuedCommand<State>*>(c)->result = fresh.error();
      return false;
    }
    events::AppendBatch append{stream, slot.state.version, {}};
    std::vector<QueuedCommand<State>*> accepted;
    Minter minter(ids_, clock_);
    for (auto* c : batch) {
      auto* cmd = static_cast<QueuedCommand<State>*>(c);  // only Submit queues on the slot
      auto decided = cmd->DecideAndApply(slot.state, minter);
      if (!decided.ok()) {
        cmd->result = decided.error();
      } else if (!decided->empty()) {
        AddRecords(cmd->ctx, *decided, append, minter);
        cmd->result = Appended{std::move(*decided), {}};
        accepted.push_back(cmd);
      }
    }
    if (accepted.empty()) return false;
    auto positions = log_.Append(append);
    if (!positions.ok()) {
      const bool fenced = IsFencedAppend(positions.error());
      const core::Error error = AppendFailed(stream, positions.error());
      for (auto* cmd : accepted) cmd->result = error;
      slot.stale = true;
      (void)RefoldIfStale<State>(slot, stream);  // else the next batch retries
      return fenced;
    }
    AnswerBatch(accepted, *positions);
    slot.side_version = slot.state.version;
    return false;
  }

  // Hands each accepted command its positions (the append's, in order) and folds the batch
  // into the directory and the attachment quota.
  template <typename State>
  void AnswerBatch(const std::vector<QueuedCommand<State>*>& accepted,
                   const std::vector<events::Position>& positions) {
    std::vector<events::Event> all;
    size_t next = 0;
    for (auto* cmd : accepted) {
      auto& own = cmd->result->positions;
      own.assign(
          positions.begin() + static_cast<std::ptrdiff_t>(next),
          positions.begin() + static_cast<std::ptrdiff_t>(next + cmd->result->events.size()));
      next += own.size();
      all.insert(all.end(), cmd->result->events.begin(), cmd->result->events.end());
    }
    ApplyToDirectory(all);
    for (const auto& e : all) attachment_quota_.Apply(e);
  }

  // Folds `slot` again from the log when it is marked stale (the caller holds its lock). First
  // completes a state installed from a snapshot with a part still encoded (ADR 0095).
  template <typename State>
  core::Status RefoldIfStale(typename StreamStates<State>::Slot& slot, const std::string& stream) {
    if (!slot.Complete()) slot.stale = true;
    if (!slot.stale) return core::OkStatus();
    State fresh;
    FILAMENT_RETURN_IF_ERROR(
        ScanStream(log_, stream, [&](const events::Event& e) { return FoldLogged(fresh, e); }));
    slot.state = std::move(fresh);
    slot.stale = false;
    return core::OkStatus();
  }

  // Appends `decided` to `stream` expecting the slot's version, then folds it into the slot's
  // state (and into the directory when it concerns it). The caller holds the stream's lock.
  template <typename Slot, typename StreamEvent>
  core::Result<Appended> Commit(const CommandContext& ctx, const std::string& stream, Slot& slot,
                                std::vector<StreamEvent> decided) {
    if (decided.empty()) return Appended{};
    Appended appended;
    for (const auto& e : decided) appended.events.push_back(events::ToEvent(e));
    auto positions = AppendRecords(ctx, stream, slot.state.version, appended.events);
    if (!positions.ok()) return AppendFailed(stream, positions.error());
    appended.positions = std::move(*positions);
    for (const auto& e : decided) Apply(slot.state, e);
    ApplyToDirectory(appended.events);
    for (const auto& e : appended.events) attachment_quota_.Apply(e);
    slot.side_version = slot.state.version;
    return appended;
  }

  // Fenced writers (ADR 0091). OwnStream makes this process the writer of the stream's
  // partition (always OK with a single writer). CaughtUpOn, for a stream this process does not
  // know: whether it folded the stream's partition to the log's end just now (so a second
  // look-up is worth it); always false with a single writer. AppendFailed turns a fenced
  // append into "partition lost" and kUnavailable (retry).
  core::Status OwnStream(const std::string& stream);
  bool CaughtUpOn(const std::string& stream);
  bool CaughtUpOnAll();
  static bool IsFencedAppend(const core::Error& error);
  core::Error AppendFailed(const std::string& stream, const core::Error& error);
  // The follower's fold of one record (any writer's, this process's own included): folds it
  // into the stream's state when it is the next version, and into the directory and the
  // attachment ledger when they have not seen it (the slot's side_version).
  core::Status Follow(const events::StoredRecord& stored);
  // Returns whether the record was new to the stream's state (another writer's).
  template <typename State, typename StreamEvent>
  bool FollowInto(StreamStates<State>& states, const std::string& id, int64_t version,
                  const StreamEvent& typed, const events::Event& event) {
    auto& slot = states.FindOrCreate(id);
    bool side = false;
    bool fresh = false;
    {
      std::lock_guard lock(slot.mutex);
      if (!slot.Complete()) slot.stale = true;  // a body still encoded first (ADR 0095)
      if (!slot.stale && version == slot.state.version + 1) {
        Apply(slot.state, typed);
        fresh = true;
      } else if (version > slot.state.version + 1) {
        slot.stale = true;  // folded from the log before the next command on it
      }
      if (version > slot.side_version) {
        slot.side_version = version;
        attachment_quota_.Apply(event);
        side = true;
      }
    }
    if (side) ApplyToDirectory({event});
    return fresh;
  }

  // Appends the records of one command's `decided` events to `batch` (stream versions follow
  // the records already there), with ids from `minter`.
  void AddRecords(const CommandContext& ctx, const std::vector<events::Event>& decided,
                  events::AppendBatch& batch, Minter& minter);
  // Folds one event read back from the log into a state of its category (kInternal for an
  // event of another category).
  static core::Status FoldLogged(GuildState& state, const events::Event& event);
  static core::Status FoldLogged(UserState& state, const events::Event& event);
  static core::Status FoldLogged(FriendshipState& state, const events::Event& event);

  std::mutex& CreatorLock(const std::string& user_id);
  void ApplyToDirectory(const std::vector<events::Event>& appended);
  core::Result<std::vector<events::Position>> AppendRecords(
      const CommandContext& ctx, const std::string& stream, int64_t expected_version,
      const std::vector<events::Event>& decided);
  void Install(std::unique_ptr<CommandFold> fold);

  events::EventLog& log_;
  const core::Clock& clock_;
  core::UlidGenerator& ids_;
  CredentialStore& credentials_;
  core::Limits limits_;

  StreamStates<GuildState> guilds_;
  StreamStates<UserState> users_;
  StreamStates<FriendshipState> friendships_;
  StreamStates<VoiceState> voices_;
  std::mutex voice_mutex_;  // serializes voice commands; guards voice_registry_
  VoiceRegistry voice_registry_;

  std::mutex creator_locks_mutex_;
  std::unordered_map<std::string, std::unique_ptr<std::mutex>> creator_locks_;

  std::mutex directory_mutex_;  // guards directory_; also serializes registrations
  UserDirectory directory_;
  AttachmentQuota attachment_quota_;

  SnapshotStore* snapshots_ = nullptr;
  std::function<void(const std::string&)> snapshot_log_ = [](const std::string&) {};
  int64_t observe_before_end_ = 0;
  std::function<void(CommandFold&)> observe_fold_;

  std::function<void(const std::string&)> writers_log_;
  // Fenced writers only (ADR 0091). Last member: its follower thread uses the ones above, so
  // it stops before they go.
  std::unique_ptr<PartitionWriters> writers_;
};

}  // namespace filament::commands
