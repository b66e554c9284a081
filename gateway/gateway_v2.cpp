// GatewayHub, protocol v2 (ADR 0060): the replay window, live delivery with log positions and
// cursors, and `resume`. The catch-up pump is in gateway_v2_pump.cpp (ADR 0069).

#include <nlohmann/json.hpp>

#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_session.hpp"
#include "gateway/replay_frames.hpp"
#include "gateway/resume_cursor.hpp"

namespace filament::gateway {
namespace {

std::string_view ScopeLabel(LogEvent::Scope scope) {
  switch (scope) {
    case LogEvent::Scope::kChannel:
      return "channel";
    case LogEvent::Scope::kGuild:
      return "guild";
    case LogEvent::Scope::kUser:
      return "user";
  }
  return "guild";
}

}  // namespace

std::unique_lock<std::mutex> GatewayHub::LockForFanout() {
  fanouts_waiting_.fetch_add(1, std::memory_order_acq_rel);
  std::unique_lock lock(mu_);
  fanouts_waiting_.fetch_sub(1, std::memory_order_acq_rel);
  return lock;
}

std::unique_lock<std::mutex> GatewayHub::LockBehindFanouts() {
  StepAsideForFanouts();
  return std::unique_lock(mu_);
}

void GatewayHub::StartReplayWindow(const std::vector<int64_t>& start) {
  std::lock_guard lock(mu_);
  floor_ = start;
  head_ = start;
}

void GatewayHub::PublishRecord(std::shared_ptr<const ReplayEntry> entry) {
  auto lock = LockForFanout();
  PublishRecordLocked(std::move(entry));
}

void GatewayHub::PublishRecordLocked(std::shared_ptr<const ReplayEntry> entry) {
  const auto p = static_cast<size_t>(entry->partition);
  if (p >= head_.size()) {
    head_.resize(p + 1, entry->offset);
    floor_.resize(p + 1, entry->offset);
  }
  // A hole below this record (log retention at start-up): cursors inside it cannot replay.
  if (entry->offset > head_[p]) floor_[p] = std::max(floor_[p], entry->offset);
  if (entry->offset < head_[p]) return;  // already seen (cannot happen with an ordered reader)
  head_[p] = entry->offset + 1;
  if (entry->events.empty()) return;
  window_.push_back({entry, clock_.NowUnixMs()});
  EvictWindowLocked();
  DeliverLiveLocked(*entry);
}

void GatewayHub::EvictWindowLocked() {
  const int64_t oldest = clock_.NowUnixMs() - options_.resume_max_age_secs * 1000;
  while (!window_.empty() && (static_cast<int64_t>(window_.size()) > options_.resume_max_events ||
                              window_.front().appended_at_ms < oldest)) {
    const ReplayEntry& front = *window_.front().entry;
    floor_[front.partition] = std::max(floor_[front.partition], front.offset + 1);
    window_.pop_front();
    ++window_base_seq_;
  }
}

bool GatewayHub::ReplayableLocked(const ResumeCursor& cursor) const {
  if (cursor.next.size() != floor_.size()) return false;
  for (size_t p = 0; p < floor_.size(); ++p) {
    if (cursor.next[p] < floor_[p]) return false;
  }
  return true;
}

void GatewayHub::AdvanceToHeadLocked(ResumeCursor& cursor) const { AdvanceTo(cursor, head_); }

void GatewayHub::CheckCursorLocked(GatewaySession& session) {
  if (ReplayableLocked(session.cursor)) return;
  const std::string reason =
      session.cursor.next.size() == floor_.size() ? "cursor_expired" : "cursor_foreign";
  session.cursor = CursorAt(head_);
  session.announce_resumed = false;
  SendDirectLocked(
      session, "resume_unavailable",
      nlohmann::json{{"reason", reason}, {"cursor", FormatCursor(session.cursor)}}.dump());
}

void GatewayHub::StartDeliveryLocked(GatewaySession& session) {
  session.v2_started = true;
  CheckCursorLocked(session);
  session.catching_up = true;
  session.next_seq = window_base_seq_;
  catching_up_.insert(session.id);
  pump_cv_.notify_one();
}

bool GatewayHub::GoLiveLocked(GatewaySession& session) {
  if (session.announce_resumed) {
    ResumeCursor cursor = session.cursor;
    AdvanceToHeadLocked(cursor);
    const std::string payload =
        nlohmann::json{{"cursor", FormatCursor(cursor)}, {"replayed", session.replayed}}.dump();
    const std::string_view failure = SendDirectLocked(session, "resumed", payload);
    if (failure == "outbound_queue_full") return false;  // the pump tries again
    session.announce_resumed = false;
  }
  session.catching_up = false;
  catching_up_.erase(session.id);
  AdvanceToHeadLocked(session.cursor);
  return true;
}

bool GatewayHub::SendEntryLocked(GatewaySession& session, const ReplayEntry& entry, bool live) {
  EntryFrames built = BuildEntryFrames(session.user_id, session.channel_keys, entry, session.cursor,
                                       options_.max_event_bytes, live ? &head_ : nullptr);
  return SendFramesLocked(session, built, live);
}

bool GatewayHub::SendFramesLocked(GatewaySession& session, EntryFrames& built, bool live) {
  if (built.below) return true;
  for (EntryFrame& frame : built.frames) {
    const std::string_view scope = ScopeLabel(frame.event->scope);
    if (frame.envelope.empty()) {
      metrics_.CountDropped(scope, frame.event->type, "oversized_outbound");
    } else if (!session.ws->Send(std::move(frame.envelope))) {
      return false;
    } else {
      metrics_.CountEmitted(scope, frame.event->type);
      if (!live) ++session.replayed;
    }
    session.cursor = std::move(frame.after);
  }
  session.cursor = std::move(built.end);
  return true;
}

void GatewayHub::DeliverLiveLocked(const ReplayEntry& entry) {
  for (uint64_t id : v2_sessions_) {
    auto found = connections_.find(id);
    if (found == connections_.end()) continue;
    GatewaySession& session = *found->second;
    if (!session.v2_started || session.catching_up || session.evicted) continue;
    if (SendEntryLocked(session, entry, /*live=*/true)) continue;
    if (!session.ws->closed()) {
      metrics_.CountDropped("connection", "log", "full_queue");
      EvictLocked(session);
    }
  }
}

void GatewayHub::ExecuteResume(GatewaySession& session, const ResumeCommand& command) {
  std::vector<bool> visible_now;
  for (const SubscribeCommand& subscription : command.subscriptions) {
    if (ip_gate_ != nullptr) {
      const core::Result<bool> banned =
          ip_gate_->IsBanned(session.user_id, subscription.guild_id, session.client_ip);
      if (banned.ok() && *banned) return Disconnect(session, "ip_banned");
    }
    const core::Result<bool> allowed =
        authorizer_.MayView(session.user_id, subscription.guild_id, subscription.channel_id);
    visible_now.push_back(allowed.ok() && *allowed);
  }
  auto lock = LockBehindFanouts();
  if (!session.registered || session.dropping.load()) return;
  if (session.v2_started) return DisconnectLocked(session, "unexpected_resume");
  session.cursor = command.cursor;
  session.announce_resumed = true;
  CheckCursorLocked(session);  // resume_unavailable comes before the subscription frames
  for (size_t i = 0; i < command.subscriptions.size(); ++i) {
    const SubscribeCommand& subscription = command.subscriptions[i];
    if (visible_now[i]) {
      if (!ApplySubscribeLocked(session, subscription)) return;
      continue;
    }
    // Not visible now: a standing interest only (its past events are still replayed as of
    // their positions), no presence and no `subscribed`.
    const std::string key = subscription.guild_id + ":" + subscription.channel_id;
    channels_[key].insert(session.id);
    session.channel_keys.insert(key);
  }
  StartDeliveryLocked(session);
}

}  // namespace filament::gateway
