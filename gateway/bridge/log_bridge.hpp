#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"
#include "gateway/ports.hpp"
#include "gateway/replay.hpp"

namespace filament::gateway {

class LiveAccess;
class VoiceRoster;
struct BridgeStart;

// Where mapped events go: implemented over GatewayHub (HubSink) and by fakes in tests.
// `allow(user_id)` says whether a recipient connection's user may receive the event (live
// permissions at the record's log position); `Revalidate` drops the subscriptions to the
// guild's channels that `keep(user_id, channel_id)` rejects.
class FanoutSink {
 public:
  using UserFilter = std::function<bool(const std::string& user_id)>;
  using KeepSubscription =
      std::function<bool(const std::string& user_id, const std::string& channel_id)>;
  virtual ~FanoutSink() = default;
  virtual void ToChannel(const std::string& guild_id, const std::string& channel_id,
                         const std::string& type, const std::string& payload_json,
                         const UserFilter& allow) = 0;
  virtual void ToGuild(const std::string& guild_id, const std::string& type,
                       const std::string& payload_json, const UserFilter& allow) = 0;
  virtual void ToUser(const std::string& user_id, const std::string& type,
                      const std::string& payload_json) = 0;
  virtual void Revalidate(const std::string& guild_id, const KeepSubscription& keep) = 0;
  // Live guild IP bans (ADR 0032): GatewayHub::ApplyIpBans / LiftIpBans. ApplyIpBans takes the
  // ban record's own delivery, made just before the cut and atomically with it: `announce` (its
  // guild event, workspace_ip_ban_sync, as ToGuild would deliver it; null when it did not map)
  // and `record` (what Record would get; Record is not called for it).
  struct Announcement {
    const std::string& type;
    const std::string& payload_json;
    const UserFilter& allow;
  };
  virtual void ApplyIpBans(const std::string& guild_id, const std::vector<IpBanEntry>& bans,
                           const Announcement* announce,
                           std::shared_ptr<const ReplayEntry> record) = 0;
  virtual void LiftIpBans(const std::string& guild_id, const std::vector<std::string>& ban_ids) = 0;
  // Gateway v2 (ADR 0060), GatewayHub::StartReplayWindow / PublishRecord: where the replay
  // window starts, then every record from there on (after its v1 fan-out), with its events.
  virtual void StartReplayWindow(const std::vector<int64_t>& /*start*/) {}
  virtual void Record(std::shared_ptr<const ReplayEntry> /*entry*/) {}
  // An operator locked the account (UserLocked, ADR 0066): GatewayHub::DropUser.
  virtual void DropUser(const std::string& /*user_id*/, const std::string& /*reason*/) {}
};

// One gateway event derived from one log record.
struct GatewayMessage {
  enum class Scope { kChannel, kGuild, kUser };
  Scope scope = Scope::kGuild;
  std::string guild_id;
  std::string channel_id;
  std::string user_id;  // user scope: the recipient; guild scope: the member the event
                        // removes (it still receives it), or empty
  std::string type;     // gateway event type, e.g. "message_create"
  std::string payload;  // the `d` object, JSON
};

// Maps a record to its gateway events through the generated routing table
// (schema/events.yaml → events::RoutesFor) and the payload builders in payloads.cpp.
// Pure. Errors: kInvalidArgument (record cannot be decoded), kInternal (a route without a
// payload builder — prevented by a test).
class ObserverIndex;
core::Result<std::vector<GatewayMessage>> MapRecord(const events::StoredRecord& record,
                                                    const ObserverIndex& observers);
// The same with no observers known (profile events reach their author only).
core::Result<std::vector<GatewayMessage>> MapRecord(const events::StoredRecord& record);

// Follows the log from its end and fans every record's gateway events out to a sink.
//
//   EventLog ──reader thread──▶ ObserverIndex, LiveAccess.Apply ─▶ MapRecord ──▶ FanoutSink
//                                         └─ access changed ─▶ FanoutSink::Revalidate
//
// The ObserverIndex (who sees whose profile events, ADR 0022) is folded from the whole log at
// Start() and then from each record before it is mapped. With a LiveAccess, Start() folds the
// log into it too, and every delivery is filtered by it: channel events by create_message in
// the channel, guild events by membership.
// With an IpObservationResolver, an IpBansUpdated record resolves the observations it bans to
// addresses before its delivery and hands them, with its guild event, to FanoutSink::ApplyIpBans
// (the event, then the cut, atomically), or lifts bans after its delivery (ADR 0032); a
// resolver error is logged and that cut skipped (the subscribe gate still holds).
// A record that cannot be mapped is counted and skipped: realtime delivery is at-most-once by
// contract, and the read models (not the gateway) stop on bad records.
//
// With a read-model barrier, a record's events are fanned out only once the read models the
// REST API reads and the record can change (ADR 0097) have applied it, so a client that GETs
// in reaction to an event (an avatar after profile_avatar_update, its permissions after an
// override change) sees that event's effect (ADR 0017). The barrier waits at most
// `barrier_timeout`; after a timeout (read models stopped or far behind) the bridge stops waiting —
// delivering late is worse than delivering early — and resumes once the read models have caught up
// with a record.
class LogBridge {
 public:
  // True once the read models `record` can change include its position; false when `timeout`
  // ran out first.
  using ReadModelBarrier =
      std::function<bool(const events::StoredRecord& record, std::chrono::milliseconds timeout)>;

  LogBridge(events::EventLog& log, FanoutSink& sink, LiveAccess* access = nullptr,
            ReadModelBarrier barrier = nullptr,
            std::chrono::milliseconds barrier_timeout = std::chrono::milliseconds(5000),
            IpObservationResolver* ip_resolver = nullptr);
  ~LogBridge();

  // Voice (ADR 0054): the roster folded from the log at Start() and from each record before it
  // is fanned out (nullable; call before Start()).
  void SetVoiceRoster(VoiceRoster* voice) { voice_ = voice; }
  // Gateway v2: Start() fills the replay window from the last `records` records of every
  // partition (0, the default, starts it empty at the log's end). Call before Start().
  void SetReplayWindow(int64_t records) { replay_records_ = records; }

  // Start() from the bridge's fold at `start->ends` (taken from the command side's fold, ADR
  // 0085) and fold only the records after it, instead of the whole log. The replay window then
  // starts at `start->ends` at the earliest. A start of another partition count, or beyond the
  // log's end, is ignored (the whole log is folded). Call before Start().
  void SetStart(std::unique_ptr<BridgeStart> start);

  // Opens a reader at the current end of every partition and starts the thread.
  core::Status Start();
  void Stop();
  int64_t unmappable_records() const { return unmappable_.load(); }
  // Records delivered without their read models (barrier timed out or degraded).
  int64_t barrier_misses() const { return barrier_misses_.load(); }

 private:
  std::vector<int64_t> InstallStart(const std::vector<int64_t>& ends);
  void Run(std::unique_ptr<events::LogReader> reader);
  void Deliver(const events::StoredRecord& record);
  void Fan(const GatewayMessage& message);
  // Guild-scoped delivery: members (live), and the member the event removes.
  FanoutSink::UserFilter GuildFilter(const GatewayMessage& m) const;
  // An IpBansUpdated record: the bans it adds, resolved to addresses (nullopt for a remove, a
  // record that does not decode, or a resolver error, which is logged).
  struct IpBanCut {
    std::string guild_id;
    std::vector<IpBanEntry> entries;
  };
  std::optional<IpBanCut> ResolveIpBans(const events::StoredRecord& record);
  // The ban's own delivery (`sync`, null when it did not map; `entry`) and the cut, in one step.
  void CutIpBans(const IpBanCut& cut, const GatewayMessage* sync,
                 std::shared_ptr<const ReplayEntry> entry);
  void LiftIpBans(const events::StoredRecord& record);
  // UserLocked (ADR 0066): the user's connections are dropped.
  void DropLockedUser(const events::StoredRecord& record);
  void AwaitReadModels(const events::StoredRecord& record);
  // The record as the v2 replay window keeps it (`messages` may be an error: no events).
  std::shared_ptr<const ReplayEntry> Entry(
      const events::StoredRecord& record,
      const core::Result<std::vector<GatewayMessage>>& messages) const;

  events::EventLog& log_;
  FanoutSink& sink_;
  std::unique_ptr<ObserverIndex> observers_;  // owned by the reader thread after Start()
  LiveAccess* const access_;
  VoiceRoster* voice_ = nullptr;
  const ReadModelBarrier barrier_;
  const std::chrono::milliseconds barrier_timeout_;
  bool barrier_degraded_ = false;  // reader thread only
  std::atomic<int64_t> barrier_misses_{0};
  IpObservationResolver* const ip_resolver_;
  int64_t replay_records_ = 0;
  std::unique_ptr<BridgeStart> start_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> unmappable_{0};
  std::thread thread_;
};

}  // namespace filament::gateway
