#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "adapters/http/websocket.hpp"
#include "core/clock.hpp"
#include "gateway/envelope.hpp"
#include "gateway/metrics.hpp"
#include "gateway/ports.hpp"
#include "gateway/replay.hpp"

namespace filament::gateway {

struct GatewayOptions {
  int64_t max_event_bytes = 65536;  // inbound message cap and outbound envelope cap
  int64_t outbound_queue = 256;     // per-connection queued frames
  int64_t ingress_events_per_window = 60;
  int64_t ingress_window_secs = 10;
  int64_t ping_interval_secs = 30;
  int reactor_threads = 2;
  int worker_threads = 2;  // run subscribe/message_create (they may block on the database)
  // Gateway v2 replay window (ADR 0060): event-producing records kept, and their maximum age.
  int64_t resume_max_events = 20000;
  int64_t resume_max_age_secs = 3600;
  // Share of one core (wall clock, %) the catch-up pump may use (ADR 0069).
  int resume_pump_percent = 50;
};

// The WebSocket transport settings matching `options` (for HttpServerOptions::ws).
http::WsOptions MakeWsOptions(const GatewayOptions& options);

class GatewaySession;
class WorkerPool;
struct EntryFrames;

// The realtime hub (protocol v1, GATEWAY.md): connection registry, channel subscriptions,
// guild and user indexes, presence, ingress validation and rate limiting, fan-out with
// slow-consumer eviction, and metrics. All public methods are thread-safe.
//
// Lifetime: the hub must outlive the HttpServer that serves its sessions (stop the server
// first). `clock`, the ports and `ip_gate` (nullable) must outlive the hub.
class GatewayHub : private PresenceListener {
 public:
  GatewayHub(GatewayOptions options, const core::Clock& clock, SubscribeAuthorizer& authorizer,
             IngressMessagePoster& poster, IpBanGate* ip_gate = nullptr);
  ~GatewayHub();
  GatewayHub(const GatewayHub&) = delete;
  GatewayHub& operator=(const GatewayHub&) = delete;

  // A session for an authenticated upgrade. The connection is registered (and receives
  // `ready {user_id}`) when the transport opens it.
  // `version` 2 opts into ADR 0060 (positions, cursors, resume).
  std::shared_ptr<http::WsSessionHandler> CreateSession(std::string user_id, std::string client_ip,
                                                        int version = 1);

  // Gateway v2 (ADR 0060, gateway_v2.cpp). StartReplayWindow: the log position the replay
  // window starts at (one offset per partition), before the first PublishRecord.
  // PublishRecord: every log record after it, in log order per partition, after its v1
  // fan-out: appended to the window (when it has events), fanned out to live v2 connections.
  void StartReplayWindow(const std::vector<int64_t>& start);
  void PublishRecord(std::shared_ptr<const ReplayEntry> entry);

  // Fan-out for the log consumer. Each builds {"v":1,"t":type,"d":payload_json} once
  // (`payload_json` must be a serialized JSON object), drops it for everyone when it exceeds
  // max_event_bytes (reason oversized_outbound) or `type` is invalid (serialize_error), and
  // enqueues it to every recipient without blocking. A recipient whose queue is full loses
  // the event, is pruned from the index being iterated and is closed with 1008
  // `slow_consumer`. Recipients: channel = subscribers of "guild:channel"; guild = connections
  // subscribed to any channel of the guild; user = every open connection of the user.
  void PublishToChannel(std::string_view guild_id, std::string_view channel_id,
                        std::string_view type, std::string_view payload_json);
  void PublishToGuild(std::string_view guild_id, std::string_view type,
                      std::string_view payload_json);
  void PublishToUser(std::string_view user_id, std::string_view type,
                     std::string_view payload_json);

  // Live permissions (gateway_access.cpp). `allow` is asked once per recipient connection
  // (by its user id) under the hub lock, on the caller's thread; rejected recipients are
  // skipped (counted as dropped, reason "forbidden").
  using UserFilter = std::function<bool(const std::string& user_id)>;
  void PublishToChannel(std::string_view guild_id, std::string_view channel_id,
                        std::string_view type, std::string_view payload_json,
                        const UserFilter& allow);
  void PublishToGuild(std::string_view guild_id, std::string_view type,
                      std::string_view payload_json, const UserFilter& allow);
  // Drops every subscription to a channel of `guild_id` that `keep(user_id, channel_id)`
  // rejects. A connection left with no channel of the guild leaves the guild: no more guild
  // events, and its presence there ends (presence_update offline when it was the user's last).
  void Revalidate(
      const std::string& guild_id,
      const std::function<bool(const std::string& user_id, const std::string& channel_id)>& keep);

  // Live guild IP bans (ADR 0032, gateway_ip_bans.cpp), from the log bridge. ApplyIpBans: every
  // connection subscribed to the guild from a banned address loses the guild as in Revalidate
  // (the socket stays open: the ban is the guild's); until LiftIpBans or expiry, a subscribe
  // to the guild from such an address is dropped with `ip_banned` (GATEWAY.md §4.1), checked
  // under the hub lock so it cannot slip in after the cut. Expired entries are ignored.
  // The ban record's own delivery goes out first under the same lock — `announce` (its
  // workspace_ip_ban_sync, guild-wide, filtered by `allow`) to v1 connections, `record` as
  // PublishRecord would — so nothing else of the guild (a presence report from another gateway
  // process, a local subscribe's presence_update) can reach a cut connection between the two.
  // The cut drops v2 subscriptions too (an IP ban is no standing interest).
  struct Announcement {
    std::string_view type;
    std::string_view payload_json;
    const UserFilter* allow = nullptr;
  };
  void ApplyIpBans(const std::string& guild_id, const std::vector<IpBanEntry>& bans,
                   const std::optional<Announcement>& announce = std::nullopt,
                   std::shared_ptr<const ReplayEntry> record = nullptr);
  void LiftIpBans(const std::string& guild_id, const std::vector<std::string>& ban_ids);

  // Drops every open connection of `user_id` (no close frame, GATEWAY.md §13), counted under
  // disconnect `reason` — an operator locked the account (ADR 0066).
  void DropUser(const std::string& user_id, std::string_view reason);

  // Cross-process presence (ADR 0057, gateway_presence.cpp). Attach before serving (nullptr
  // detaches); the directory must stay alive until it is detached or the hub is destroyed.
  // Without one, presence is this process's alone.
  void AttachPresence(PresenceDirectory* directory);
  // The hook "user U has no gateway connection left in any process", called from the
  // directory's thread with no hub lock held, at least once per such moment (idempotent
  // handlers only). Only with a directory attached.
  using UserGoneHandler = std::function<void(const std::string& user_id)>;
  void SetUserGoneHandler(UserGoneHandler handler);
  // Whether `user_id` has a registered connection in this process now.
  bool HasConnection(const std::string& user_id) const;
  // Voice (ADR 0054): `observer` (nullable, must outlive the hub) hears when a user's last
  // connection here closed; `voice` (nullable) answers voice_participant_sync on subscribe.
  // Set before the server starts.
  void SetConnectionObserver(ConnectionObserver* observer) { connection_observer_ = observer; }
  void SetVoiceRoster(VoiceRosterView* voice) { voice_roster_ = voice; }

  GatewayMetrics& metrics() { return metrics_; }
  size_t connection_count() const;
  // Ingress commands waiting for a hub worker (the gateway's queue depth).
  size_t ingress_queue_depth() const;
  // Stops the worker threads; queued commands are discarded. Idempotent.
  void Shutdown();
  // Graceful drain (gateway_drain.cpp, ADR 0076): closes every open connection with a Close
  // frame `code` (1001 going away) and `reason`, counted as disconnect `server_shutdown`;
  // a connection registered afterwards is closed the same way at once. Idempotent.
  void CloseAll(uint16_t code, std::string reason);

 private:
  friend class GatewaySession;
  using IdSet = std::unordered_set<uint64_t>;

  // Called by GatewaySession.
  void Register(const std::shared_ptr<GatewaySession>& session);
  void HandleIngress(GatewaySession& session, std::string_view frame);
  void Execute(GatewaySession& session, const IngressCommand& command);
  void ExecuteV1(GatewaySession& session, const IngressCommand& command);
  void Unregister(GatewaySession& session, http::WsCloseReason reason);
  // True when it was the user's last connection here.
  bool UnregisterLocked(GatewaySession& session, http::WsCloseReason reason);

  void ExecuteSubscribe(GatewaySession& session, const SubscribeCommand& command);
  void ApplySubscribe(GatewaySession& session, const SubscribeCommand& command);
  std::string VoiceSyncJson(const std::string& guild_id, const std::string& channel_id);
  // The subscribe frames and indexes, under the lock; false when the session was dropped.
  bool ApplySubscribeLocked(GatewaySession& session, const SubscribeCommand& command);

  // v2 (gateway_v2.cpp).
  void ExecuteResume(GatewaySession& session, const ResumeCommand& command);
  void StartDeliveryLocked(GatewaySession& session);
  // A cursor this process cannot replay → `resume_unavailable`, cursor reset to the head.
  void CheckCursorLocked(GatewaySession& session);
  bool ReplayableLocked(const ResumeCursor& cursor) const;
  void AdvanceToHeadLocked(ResumeCursor& cursor) const;
  // The catch-up pump (gateway_v2_pump.cpp, ADR 0069). PumpOneLocked: one turn of one
  // connection — take entries (locked), encode them (unlocked), hand them off (locked); true
  // when it made progress (sent, skipped or went live).
  struct CatchUpBatch;
  bool PumpOneLocked(std::unique_lock<std::mutex>& lock, uint64_t id);
  bool TakeBatchLocked(GatewaySession& session, CatchUpBatch& batch, bool& progress);
  void BuildBatch(const std::string& user_id, CatchUpBatch& batch) const;
  bool CommitBatchLocked(GatewaySession& session, CatchUpBatch& batch);
  // Spins (yielding) while a live fan-out waits for the hub lock.
  void StepAsideForFanouts() const;
  // The hub lock for a client command (subscribe, resume): taken behind waiting fan-outs.
  std::unique_lock<std::mutex> LockBehindFanouts();
  // The splice: `resumed` (after a resume), then live. False when the queue is full.
  bool GoLiveLocked(GatewaySession& session);
  void DeliverLiveLocked(const ReplayEntry& entry);
  // Sends the entry's events the session is entitled to, from its cursor's skip on; false when
  // a send failed (the session's cursor says how far it got).
  bool SendEntryLocked(GatewaySession& session, const ReplayEntry& entry, bool live);
  // Hands prepared frames to the session's queue, advancing its cursor (same contract).
  bool SendFramesLocked(GatewaySession& session, EntryFrames& built, bool live);
  void EvictWindowLocked();
  void PumpLoop();
  void Disconnect(GatewaySession& session, std::string_view reason);
  void DisconnectLocked(GatewaySession& session, std::string_view reason);
  bool RefuseLocked(GatewaySession& session, std::string_view reason) {  // disconnects, false
    DisconnectLocked(session, reason);
    return false;
  }
  void EvictLocked(GatewaySession& session);
  void CloseForDrainLocked(GatewaySession& session);
  // Returns "" on success, else the disconnect reason matching the failure.
  std::string_view SendDirectLocked(GatewaySession& session, std::string_view type,
                                    const std::string& payload_json);
  // `log_derived`: v2 connections are skipped (they get it from PublishRecord); otherwise they
  // get the same frame with "v":2.
  void DeliverLocked(std::string_view scope, std::string_view type, const std::string& envelope,
                     IdSet& recipients, const UserFilter* allow = nullptr, bool log_derived = true);
  // Presence (gateway_presence.cpp). Enter: the session's first subscribe in the guild; true
  // when the user just came online there for this process's clients. Leave: the session's
  // last; broadcasts offline when the user is now absent everywhere this process knows of.
  bool EnterPresenceLocked(GatewaySession& session, const std::string& guild_id);
  void LeavePresenceLocked(const std::string& user_id, const std::string& guild_id);
  std::string PresenceSyncLocked(const std::string& guild_id) const;
  void PublishPresenceLocked(const std::string& guild_id, const std::string& user_id, bool online);
  void CountConnectionLocked(const std::string& user_id, int delta);
  void OnRemotePresence(const std::vector<PresenceChange>& changes) override;
  void OnUserGone(const std::string& user_id) override;

  // Removes `session` from the guild index and its presence there (the caller updates
  // session.presence_guilds).
  void LeaveGuildLocked(GatewaySession& session, const std::string& guild_id);
  // Drops the subscriptions to channels of `guild_id` that `keep` rejects; a connection left
  // without one leaves the guild (LeaveGuildLocked). A v2 connection keeps a rejected
  // subscription as a standing interest (ADR 0060: lost view withholds events as of their
  // positions) unless `drop_standing` (an IP ban: not part of the fold, so nothing would
  // withhold the guild's events from it).
  using KeepLocked =
      std::function<bool(const GatewaySession& session, const std::string& channel_id)>;
  void DropSubscriptionsLocked(const std::string& guild_id, const KeepLocked& keep,
                               bool drop_standing = false);
  // A live IP ban of the guild matches the session's address (ApplyIpBans).
  bool IpBannedLocked(const GatewaySession& session, const std::string& guild_id) const;
  // The hub lock for a log fan-out: the catch-up pump steps aside while one waits, so a
  // reconnect storm does not delay live delivery (ADR 0060).
  std::unique_lock<std::mutex> LockForFanout();
  void PublishRecordLocked(std::shared_ptr<const ReplayEntry> entry);
  std::optional<std::string> PrepareEnvelope(std::string_view scope, std::string_view type,
                                             std::string_view payload_json);
  // `envelope` (PrepareEnvelope) to the connections subscribed to a channel of the guild.
  void DeliverToGuildLocked(const std::string& guild_id, std::string_view type,
                            const std::string& envelope, const UserFilter* allow = nullptr,
                            bool log_derived = true);
  void PublishToGuildLocked(const std::string& guild_id, std::string_view type,
                            std::string_view payload_json, bool log_derived);

  const GatewayOptions options_;
  const core::Clock& clock_;
  SubscribeAuthorizer& authorizer_;
  IngressMessagePoster& poster_;
  IpBanGate* const ip_gate_;
  ConnectionObserver* connection_observer_ = nullptr;
  VoiceRosterView* voice_roster_ = nullptr;
  GatewayMetrics metrics_;
  std::unique_ptr<WorkerPool> workers_;

  mutable std::mutex mu_;  // guards everything below and the hub-owned fields of sessions
  std::optional<std::pair<uint16_t, std::string>> closing_all_;  // set by CloseAll
  std::unordered_map<uint64_t, std::shared_ptr<GatewaySession>> connections_;
  std::unordered_map<std::string, IdSet> channels_;  // "guild:channel" → subscribers
  std::unordered_map<std::string, IdSet> guilds_;    // guild → subscribed connections
  std::unordered_map<std::string, IdSet> users_;     // user → open connections
  // guild → user → number of that user's connections present in the guild
  std::unordered_map<std::string, std::unordered_map<std::string, int>> presence_;
  // guild → users present there in other processes (the directory's reports, in order)
  std::unordered_map<std::string, std::unordered_set<std::string>> remote_presence_;
  std::unordered_map<std::string, int> user_connections_;  // user → registered connections
  PresenceDirectory* directory_ = nullptr;
  UserGoneHandler on_user_gone_;
  struct LiveIpBan {
    std::string ip_key;
    std::optional<int64_t> expires_at_unix;
  };
  // guild → ban id → banned address (bans seen on the log since this process started)
  std::unordered_map<std::string, std::unordered_map<std::string, LiveIpBan>> ip_bans_;

  // v2 replay window (ADR 0060): entries with events, in fan-out order; window_[i] has
  // sequence number window_base_seq_ + i. floor_[p]: lowest replayable offset of partition p;
  // head_[p]: next offset the fan-out will see.
  struct WindowSlot {
    std::shared_ptr<const ReplayEntry> entry;
    int64_t appended_at_ms = 0;
  };
  std::deque<WindowSlot> window_;
  uint64_t window_base_seq_ = 0;
  std::vector<int64_t> floor_;
  std::vector<int64_t> head_;
  IdSet v2_sessions_;  // registered v2 connections
  IdSet catching_up_;  // of which replaying
  std::atomic<int> fanouts_waiting_{0};
  std::condition_variable pump_cv_;
  bool pump_stop_ = false;
  std::thread pump_;  // paces every catch-up by its connection's outbound queue
};

}  // namespace filament::gateway
