#include "gateway/gateway_hub.hpp"

#include <nlohmann/json.hpp>

#include "core/thread_name.hpp"
#include "gateway/gateway_session.hpp"
#include "gateway/resume_cursor.hpp"
#include "gateway/worker_pool.hpp"

namespace filament::gateway {
namespace {

constexpr uint16_t kPolicyViolation = 1008;
constexpr int64_t kMinCommandBacklog = 64;

std::string_view DisconnectReasonFor(http::WsCloseReason reason) {
  switch (reason) {
    case http::WsCloseReason::kClientClose:
      return "client_close";
    case http::WsCloseReason::kConnectionClosed:
      return "connection_closed";
    case http::WsCloseReason::kTooLarge:
      return "event_too_large";
    case http::WsCloseReason::kShutdown:
      return "server_shutdown";
    case http::WsCloseReason::kSocketError:
    case http::WsCloseReason::kProtocolError:
    case http::WsCloseReason::kServerClose:
      return "socket_error";
  }
  return "socket_error";
}

}  // namespace

http::WsOptions MakeWsOptions(const GatewayOptions& options) {
  http::WsOptions ws;
  ws.reactor_threads = options.reactor_threads;
  ws.max_message_bytes = options.max_event_bytes;
  ws.outbound_queue = options.outbound_queue;
  ws.ping_interval_ms = options.ping_interval_secs * 1000;
  return ws;
}

GatewayHub::GatewayHub(GatewayOptions options, const core::Clock& clock,
                       SubscribeAuthorizer& authorizer, IngressMessagePoster& poster,
                       IpBanGate* ip_gate)
    : options_(options),
      clock_(clock),
      authorizer_(authorizer),
      poster_(poster),
      ip_gate_(ip_gate),
      workers_(std::make_unique<WorkerPool>(options.worker_threads)) {
  pump_ = core::NamedThread("gw-pump", [this] { PumpLoop(); });
}

GatewayHub::~GatewayHub() {
  AttachPresence(nullptr);
  Shutdown();
}

void GatewayHub::Shutdown() {
  workers_->Stop();
  {
    std::lock_guard lock(mu_);
    pump_stop_ = true;
  }
  pump_cv_.notify_all();
  if (pump_.joinable()) pump_.join();
}

size_t GatewayHub::connection_count() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

std::shared_ptr<http::WsSessionHandler> GatewayHub::CreateSession(std::string user_id,
                                                                  std::string client_ip,
                                                                  int version) {
  // Commands waiting for a stalled database are bounded too (a few windows' worth).
  const int64_t backlog =
      std::max<int64_t>(kMinCommandBacklog, 2 * options_.ingress_events_per_window);
  return std::make_shared<GatewaySession>(*this, *workers_, std::move(user_id),
                                          std::move(client_ip), options_.ingress_events_per_window,
                                          options_.ingress_window_secs * 1000,
                                          static_cast<size_t>(backlog), version);
}

void GatewayHub::Register(const std::shared_ptr<GatewaySession>& session) {
  std::lock_guard lock(mu_);
  connections_[session->id] = session;
  users_[session->user_id].insert(session->id);
  CountConnectionLocked(session->user_id, +1);
  session->registered = true;
  if (closing_all_) return CloseForDrainLocked(*session);  // the process is draining
  // Enqueued under the lock, so no fanned-out event can precede `ready`.
  nlohmann::json ready{{"user_id", session->user_id}};
  if (session->version == 2) {
    v2_sessions_.insert(session->id);
    session->cursor = CursorAt(head_);
    ready["cursor"] = FormatCursor(session->cursor);
  }
  const std::string payload = ready.dump();
  const std::string_view failure = SendDirectLocked(*session, "ready", payload);
  if (!failure.empty()) DisconnectLocked(*session, failure);
}

void GatewayHub::Unregister(GatewaySession& session, http::WsCloseReason reason) {
  bool last_connection = false;
  {
    std::lock_guard lock(mu_);
    last_connection = UnregisterLocked(session, reason);
  }
  if (last_connection && connection_observer_ != nullptr) {
    connection_observer_->OnUserGone(session.user_id);
  }
}

bool GatewayHub::UnregisterLocked(GatewaySession& session, http::WsCloseReason reason) {
  if (!session.registered) return false;
  session.registered = false;
  metrics_.CountDisconnect(session.disconnect_reason.empty() ? DisconnectReasonFor(reason)
                                                             : session.disconnect_reason);
  connections_.erase(session.id);
  v2_sessions_.erase(session.id);
  catching_up_.erase(session.id);
  bool last_connection = false;
  auto user = users_.find(session.user_id);
  if (user != users_.end() && user->second.erase(session.id) > 0 && user->second.empty()) {
    users_.erase(user);
    last_connection = true;
  }
  for (const std::string& key : session.channel_keys) {
    auto channel = channels_.find(key);
    if (channel == channels_.end()) continue;
    channel->second.erase(session.id);
    if (channel->second.empty()) channels_.erase(channel);
  }
  for (const std::string& guild_id : session.presence_guilds) LeaveGuildLocked(session, guild_id);
  CountConnectionLocked(session.user_id, -1);
  return last_connection;
}

void GatewayHub::LeaveGuildLocked(GatewaySession& session, const std::string& guild_id) {
  auto guild = guilds_.find(guild_id);
  if (guild != guilds_.end() && guild->second.erase(session.id) > 0 && guild->second.empty()) {
    guilds_.erase(guild);
  }
  LeavePresenceLocked(session.user_id, guild_id);
}

void GatewayHub::Disconnect(GatewaySession& session, std::string_view reason) {
  std::lock_guard lock(mu_);
  DisconnectLocked(session, reason);
}

void GatewayHub::DisconnectLocked(GatewaySession& session, std::string_view reason) {
  if (!session.registered || session.dropping.exchange(true)) return;
  if (session.disconnect_reason.empty()) session.disconnect_reason = std::string(reason);
  session.ws->Drop();
}

void GatewayHub::DropUser(const std::string& user_id, std::string_view reason) {
  std::lock_guard lock(mu_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return;
  for (uint64_t id : it->second) {
    if (auto found = connections_.find(id); found != connections_.end()) {
      DisconnectLocked(*found->second, reason);
    }
  }
}

void GatewayHub::EvictLocked(GatewaySession& session) {
  session.evicted = true;
  session.dropping = true;
  if (session.disconnect_reason.empty()) session.disconnect_reason = "slow_consumer";
  session.ws->Close(kPolicyViolation, "slow_consumer");
}

std::string_view GatewayHub::SendDirectLocked(GatewaySession& session, std::string_view type,
                                              const std::string& payload_json) {
  std::optional<std::string> envelope = session.version == 2 ? BuildEnvelopeV2(type, payload_json)
                                                             : BuildEnvelope(type, payload_json);
  if (!envelope) {
    metrics_.CountDropped("connection", type, "serialize_error");
    return type == "ready" ? "ready_serialize_error" : "outbound_serialize_error";
  }
  if (static_cast<int64_t>(envelope->size()) > options_.max_event_bytes) {
    metrics_.CountDropped("connection", type, "oversized_outbound");
    return "outbound_payload_too_large";
  }
  if (session.ws->Send(std::move(*envelope))) {
    metrics_.CountEmitted("connection", type);
    return {};
  }
  if (session.ws->closed()) {
    metrics_.CountDropped("connection", type, "closed");
    return "outbound_queue_closed";
  }
  metrics_.CountDropped("connection", type, "full_queue");
  return "outbound_queue_full";
}

std::optional<std::string> GatewayHub::PrepareEnvelope(std::string_view scope,
                                                       std::string_view type,
                                                       std::string_view payload_json) {
  std::optional<std::string> envelope = BuildEnvelope(type, payload_json);
  if (!envelope) {
    metrics_.CountDropped(scope, IsValidEventType(type) ? type : "invalid", "serialize_error");
    return std::nullopt;
  }
  if (static_cast<int64_t>(envelope->size()) > options_.max_event_bytes) {
    metrics_.CountDropped(scope, type, "oversized_outbound");
    return std::nullopt;
  }
  return envelope;
}

void GatewayHub::DeliverLocked(std::string_view scope, std::string_view type,
                               const std::string& envelope, IdSet& recipients,
                               const UserFilter* allow, bool log_derived) {
  uint64_t emitted = 0;
  std::optional<std::string> v2_envelope;  // built on the first v2 recipient
  for (auto it = recipients.begin(); it != recipients.end();) {
    auto found = connections_.find(*it);
    if (found == connections_.end()) {
      it = recipients.erase(it);
      continue;
    }
    GatewaySession& session = *found->second;
    if (session.evicted) {  // stale after an eviction elsewhere: skipped, not counted
      ++it;
      continue;
    }
    if (session.version == 2 && log_derived) {  // served by PublishRecord
      ++it;
      continue;
    }
    if (allow != nullptr && !(*allow)(session.user_id)) {
      metrics_.CountDropped(scope, type, "forbidden");
      ++it;
      continue;
    }
    if (session.version == 2 && !v2_envelope) {
      v2_envelope = envelope;
      (*v2_envelope)[5] = '2';  // {"v":1 → {"v":2
    }
    if (session.ws->Send(session.version == 2 ? *v2_envelope : envelope)) {
      ++emitted;
      ++it;
      continue;
    }
    if (session.ws->closed()) {
      metrics_.CountDropped(scope, type, "closed");
    } else {
      metrics_.CountDropped(scope, type, "full_queue");
      EvictLocked(session);
    }
    it = recipients.erase(it);
  }
  metrics_.CountEmitted(scope, type, emitted);
}

void GatewayHub::PublishToChannel(std::string_view guild_id, std::string_view channel_id,
                                  std::string_view type, std::string_view payload_json) {
  std::optional<std::string> envelope = PrepareEnvelope("channel", type, payload_json);
  if (!envelope) return;
  std::string key(guild_id);
  key += ':';
  key += channel_id;
  auto lock = LockForFanout();
  auto it = channels_.find(key);
  if (it == channels_.end()) return;
  DeliverLocked("channel", type, *envelope, it->second);
  if (it->second.empty()) channels_.erase(it);
}

void GatewayHub::PublishToGuild(std::string_view guild_id, std::string_view type,
                                std::string_view payload_json) {
  auto lock = LockForFanout();
  PublishToGuildLocked(std::string(guild_id), type, payload_json, /*log_derived=*/true);
}

void GatewayHub::PublishToGuildLocked(const std::string& guild_id, std::string_view type,
                                      std::string_view payload_json, bool log_derived) {
  std::optional<std::string> envelope = PrepareEnvelope("guild", type, payload_json);
  if (!envelope) return;
  DeliverToGuildLocked(guild_id, type, *envelope, nullptr, log_derived);
}

void GatewayHub::DeliverToGuildLocked(const std::string& guild_id, std::string_view type,
                                      const std::string& envelope, const UserFilter* allow,
                                      bool log_derived) {
  auto it = guilds_.find(guild_id);
  if (it == guilds_.end()) return;
  DeliverLocked("guild", type, envelope, it->second, allow, log_derived);
  if (it->second.empty()) guilds_.erase(it);
}

void GatewayHub::PublishToUser(std::string_view user_id, std::string_view type,
                               std::string_view payload_json) {
  std::optional<std::string> envelope = PrepareEnvelope("user", type, payload_json);
  if (!envelope) return;
  auto lock = LockForFanout();
  auto it = users_.find(std::string(user_id));
  if (it == users_.end()) return;
  DeliverLocked("user", type, *envelope, it->second);
  if (it->second.empty()) users_.erase(it);
}

}  // namespace filament::gateway
