// GatewayHub: the ingress side (GATEWAY.md §4, §11): size check → rate limit → envelope →
// command parse on the reactor thread, then execution on the worker pool.

#include <nlohmann/json.hpp>

#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_session.hpp"

namespace filament::gateway {

void GatewayHub::HandleIngress(GatewaySession& session, std::string_view frame) {
  if (static_cast<int64_t>(frame.size()) > options_.max_event_bytes) {
    return Disconnect(session, "event_too_large");
  }
  if (!session.limiter.Allow(clock_.NowUnixMs())) {
    return Disconnect(session, "ingress_rate_limited");
  }
  auto parsed = ParseIngress(frame, session.version);
  if (const auto* rejection = std::get_if<IngressRejection>(&parsed)) {
    metrics_.CountParseRejected(RejectionReason(*rejection));
    return Disconnect(session, RejectionReason(*rejection));
  }
  IngressCommand& command = std::get<IngressCommand>(parsed);
  if (const auto* unknown = std::get_if<UnknownCommand>(&command)) {
    metrics_.CountUnknownReceived(unknown->type);
    return Disconnect(session, "unknown_event");
  }
  if (!session.EnqueueCommand(std::move(command))) {
    Disconnect(session, "ingress_rate_limited");  // backlog full: the database is stalling
  }
}

void GatewayHub::Execute(GatewaySession& session, const IngressCommand& command) {
  if (const auto* resume = std::get_if<ResumeCommand>(&command)) {
    return ExecuteResume(session, *resume);
  }
  ExecuteV1(session, command);
  if (session.version != 2) return;
  // v2: log delivery begins with the first command, from the `ready` cursor (ADR 0060).
  std::lock_guard lock(mu_);
  if (!session.v2_started && session.registered && !session.dropping.load()) {
    StartDeliveryLocked(session);
  }
}

void GatewayHub::ExecuteV1(GatewaySession& session, const IngressCommand& command) {
  if (const auto* subscribe = std::get_if<SubscribeCommand>(&command)) {
    return ExecuteSubscribe(session, *subscribe);
  }
  if (const auto* message = std::get_if<MessageCreateCommand>(&command)) {
    const core::Status status =
        poster_.Post(session.user_id, message->guild_id, message->channel_id, message->content,
                     message->attachment_ids, session.client_ip);
    if (!status.ok()) {
      Disconnect(session, status.error().reason == "ip_banned" ? "ip_banned" : "message_rejected");
    }
  }
}

void GatewayHub::ExecuteSubscribe(GatewaySession& session, const SubscribeCommand& command) {
  if (ip_gate_ != nullptr) {
    const core::Result<bool> banned =
        ip_gate_->IsBanned(session.user_id, command.guild_id, session.client_ip);
    if (banned.ok() && *banned) return Disconnect(session, "ip_banned");
  }
  const core::Result<bool> allowed =
      authorizer_.MayView(session.user_id, command.guild_id, command.channel_id);
  if (!allowed.ok() || !*allowed) return;  // forbidden_channel: silent, stays connected
  ApplySubscribe(session, command);
}

std::string GatewayHub::VoiceSyncJson(const std::string& guild_id, const std::string& channel_id) {
  const int64_t now = clock_.NowUnix();
  nlohmann::json participants = nlohmann::json::array();
  if (voice_roster_ != nullptr) {
    for (const auto& p : voice_roster_->Participants(guild_id, channel_id, now)) {
      participants.push_back(
          nlohmann::json{{"user_id", p.user_id},
                         {"identity", p.identity},
                         {"joined_at_unix", p.joined_at_unix},
                         {"updated_at_unix", p.updated_at_unix},
                         {"is_muted", p.is_muted},
                         {"is_deafened", p.is_deafened},
                         {"is_speaking", p.is_speaking},
                         {"is_video_enabled", p.is_video_enabled},
                         {"is_screen_share_enabled", p.is_screen_share_enabled}});
    }
  }
  return nlohmann::json{{"guild_id", guild_id},
                        {"channel_id", channel_id},
                        {"participants", std::move(participants)},
                        {"synced_at_unix", now}}
      .dump();
}

// presence_sync → (presence_update online, guild-wide) → subscribed → voice_participant_sync,
// all under the hub lock so concurrent fan-outs cannot interleave with the sequence.
void GatewayHub::ApplySubscribe(GatewaySession& session, const SubscribeCommand& command) {
  auto lock = LockBehindFanouts();
  ApplySubscribeLocked(session, command);
}

bool GatewayHub::ApplySubscribeLocked(GatewaySession& session, const SubscribeCommand& command) {
  if (!session.registered || session.dropping.load()) return false;
  if (IpBannedLocked(session, command.guild_id)) return RefuseLocked(session, "ip_banned");
  const std::string key = command.guild_id + ":" + command.channel_id;
  channels_[key].insert(session.id);
  session.channel_keys.insert(key);
  guilds_[command.guild_id].insert(session.id);
  const bool came_online = EnterPresenceLocked(session, command.guild_id);
  SendDirectLocked(session, "presence_sync", PresenceSyncLocked(command.guild_id));
  if (came_online) PublishPresenceLocked(command.guild_id, session.user_id, true);
  if (!session.registered || session.dropping.load()) return false;  // evicted by that fan-out
  const std::string_view failure = SendDirectLocked(
      session, "subscribed",
      nlohmann::json{{"guild_id", command.guild_id}, {"channel_id", command.channel_id}}.dump());
  if (!failure.empty()) return RefuseLocked(session, failure);
  const std::string sync = VoiceSyncJson(command.guild_id, command.channel_id);
  if (SendDirectLocked(session, "voice_participant_sync", sync).empty()) {
    metrics_.CountVoiceSyncRepair();
  }
  return true;
}

}  // namespace filament::gateway
