// GatewayHub, protocol v2 (ADR 0060): the replay window, live delivery with log positions and
// cursors, `resume`, and the pump that paces every catch-up by its connection's queue.

#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_session.hpp"
#include "gateway/resume_cursor.hpp"

namespace filament::gateway {
namespace {

constexpr int kPumpBudget = 16;  // events per connection per pump round
constexpr int kPumpNice = 10;

bool Entitled(const GatewaySession& session, const LogEvent& event, const AccessView* access) {
  switch (event.scope) {
    case LogEvent::Scope::kChannel:
      return session.channel_keys.count(event.guild_id + ":" + event.channel_id) != 0 &&
             (access == nullptr || access->Visible(session.user_id, event.channel_id));
    case LogEvent::Scope::kGuild: {
      const std::string prefix = event.guild_id + ":";
      auto key = session.channel_keys.lower_bound(prefix);
      if (key == session.channel_keys.end() || key->compare(0, prefix.size(), prefix) != 0) {
        return false;
      }
      return access == nullptr || session.user_id == event.user_id ||
             access->IsMember(session.user_id);
    }
    case LogEvent::Scope::kUser:
      return session.user_id == event.user_id;
  }
  return false;
}

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

void GatewayHub::StartReplayWindow(const std::vector<int64_t>& start) {
  std::lock_guard lock(mu_);
  floor_ = start;
  head_ = start;
}

void GatewayHub::PublishRecord(std::shared_ptr<const ReplayEntry> entry) {
  auto lock = LockForFanout();
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

void GatewayHub::AdvanceToHeadLocked(ResumeCursor& cursor) const {
  for (size_t p = 0; p < head_.size() && p < cursor.next.size(); ++p) {
    if (head_[p] > cursor.next[p]) {
      cursor.next[p] = head_[p];
      cursor.skip[p] = 0;
    }
  }
}

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
  const auto p = static_cast<size_t>(entry.partition);
  if (p >= session.cursor.next.size() || entry.offset < session.cursor.next[p]) return true;
  std::vector<const LogEvent*> entitled;
  for (const LogEvent& event : entry.events) {
    if (Entitled(session, event, entry.access.get())) entitled.push_back(&event);
  }
  const int32_t skip = entry.offset == session.cursor.next[p] ? session.cursor.skip[p] : 0;
  const std::string pos = std::to_string(entry.partition) + ":" + std::to_string(entry.offset);
  for (size_t k = static_cast<size_t>(skip); k < entitled.size(); ++k) {
    ResumeCursor after = session.cursor;
    if (live) AdvanceToHeadLocked(after);
    const bool last = k + 1 == entitled.size();
    after.next[p] = last ? entry.offset + 1 : entry.offset;
    after.skip[p] = last ? 0 : static_cast<int32_t>(k + 1);
    const LogEvent& event = *entitled[k];
    std::string envelope = BuildLogEnvelopeV2(event.type, event.payload, pos, FormatCursor(after));
    if (static_cast<int64_t>(envelope.size()) > options_.max_event_bytes) {
      metrics_.CountDropped(ScopeLabel(event.scope), event.type, "oversized_outbound");
    } else if (!session.ws->Send(std::move(envelope))) {
      return false;
    } else {
      metrics_.CountEmitted(ScopeLabel(event.scope), event.type);
      if (!live) ++session.replayed;
    }
    session.cursor = std::move(after);
  }
  session.cursor.next[p] = entry.offset + 1;
  session.cursor.skip[p] = 0;
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

bool GatewayHub::CatchUpLocked(GatewaySession& session, int budget) {
  if (session.next_seq < window_base_seq_) {
    // The window moved on: fine if everything it dropped was below the cursor.
    if (!ReplayableLocked(session.cursor)) {
      CheckCursorLocked(session);  // → resume_unavailable, from the head
      GoLiveLocked(session);
      return true;
    }
    session.next_seq = window_base_seq_;
  }
  bool progress = false;
  while (budget-- > 0) {
    const uint64_t index = session.next_seq - window_base_seq_;
    if (index >= window_.size()) return GoLiveLocked(session) || progress;
    if (!SendEntryLocked(session, *window_[index].entry, /*live=*/false)) {
      if (session.ws->closed()) catching_up_.erase(session.id);
      return progress;
    }
    progress = true;
    ++session.next_seq;
  }
  return progress;
}

void GatewayHub::PumpLoop() {
  // Catch-up is background work: on a busy machine the live fan-out thread gets the CPU first
  // (Linux applies nice per thread). Best effort; failure leaves the default priority.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kPumpNice);
  std::unique_lock lock(mu_);
  while (!pump_stop_) {
    if (catching_up_.empty()) {
      pump_cv_.wait(lock, [this] { return pump_stop_ || !catching_up_.empty(); });
      continue;
    }
    bool progress = false;
    const std::vector<uint64_t> ids(catching_up_.begin(), catching_up_.end());
    for (uint64_t id : ids) {
      auto found = connections_.find(id);
      if (found == connections_.end() || found->second->evicted) {
        catching_up_.erase(id);
      } else if (found->second->catching_up) {
        progress = CatchUpLocked(*found->second, kPumpBudget) || progress;
      }
      // Fan-outs and commands take the lock between connections; a waiting fan-out first.
      lock.unlock();
      while (fanouts_waiting_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
      lock.lock();
      if (pump_stop_) return;
    }
    if (progress) continue;
    lock.unlock();  // every queue is full: let the sockets drain
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    lock.lock();
  }
}

void GatewayHub::ExecuteResume(GatewaySession& session, const ResumeCommand& command) {
  std::vector<bool> visible_now;
  for (const SubscribeCommand& subscription : command.subscriptions) {
    if (ip_gate_ != nullptr) {
      const core::Result<bool> banned =
          ip_gate_->IsBanned(subscription.guild_id, session.client_ip);
      if (banned.ok() && *banned) return Disconnect(session, "ip_banned");
    }
    const core::Result<bool> allowed =
        authorizer_.MayView(session.user_id, subscription.guild_id, subscription.channel_id);
    visible_now.push_back(allowed.ok() && *allowed);
  }
  std::lock_guard lock(mu_);
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
