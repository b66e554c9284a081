// GatewayHub, protocol v2: the catch-up pump (ADR 0060, paced per ADR 0069). One thread replays
// the window for every catching-up connection. Per connection and turn it takes the next
// entries under the hub lock (pointers only), encodes their frames without the lock, and hands
// them to the connection's queue under the lock again — discarding them if the connection's
// cursor, subscriptions or window position moved meanwhile. It uses at most
// `resume_pump_percent` % of one core (PumpPacer), runs at nice +10, and steps aside whenever
// a live fan-out waits for the lock.

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_session.hpp"
#include "gateway/replay_frames.hpp"

namespace filament::gateway {
namespace {

using PumpClock = std::chrono::steady_clock;
constexpr size_t kPumpBatch = 64;  // window entries per connection per turn
constexpr int kPumpNice = 10;
constexpr std::chrono::nanoseconds kPumpBurst = std::chrono::milliseconds(2);
constexpr auto kStepAside = std::chrono::microseconds(200);

std::chrono::nanoseconds ThreadCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// The pump's CPU budget: it accrues at `percent` % of the wall clock (at most kPumpBurst
// ahead) and the pump's own CPU time is charged against it; when it is spent the pump rests
// until it is positive again. So the pump never uses more than `percent` % of one core, and on
// a machine too busy to give it that much it is never made to rest on top.
class PumpPacer {
 public:
  explicit PumpPacer(int percent) : percent_(std::clamp(percent, 1, 100)) {}
  bool Spent() {
    Charge();
    return budget_.count() < 0;
  }
  void Rest() {
    std::this_thread::sleep_for(-budget_ * 100 / percent_);
    Charge();
  }

 private:
  void Charge() {
    const auto wall = PumpClock::now();
    const auto cpu = ThreadCpuTime();
    budget_ += (wall - wall_) * percent_ / 100 - (cpu - cpu_);
    budget_ = std::min(budget_, std::chrono::duration_cast<std::chrono::nanoseconds>(kPumpBurst));
    wall_ = wall;
    cpu_ = cpu;
  }

  const int percent_;
  std::chrono::nanoseconds budget_{0};
  PumpClock::time_point wall_ = PumpClock::now();
  std::chrono::nanoseconds cpu_ = ThreadCpuTime();
};

}  // namespace

struct GatewayHub::CatchUpBatch {
  std::set<std::string> channel_keys;  // the session's, when taken
  ResumeCursor start;                  // the session's cursor, when taken
  uint64_t first_seq = 0;
  std::vector<std::shared_ptr<const ReplayEntry>> entries;
  std::vector<EntryFrames> built;
};

bool GatewayHub::TakeBatchLocked(GatewaySession& session, CatchUpBatch& batch, bool& progress) {
  progress = true;
  if (session.next_seq < window_base_seq_) {
    // The window moved on: fine if everything it dropped was below the cursor.
    if (!ReplayableLocked(session.cursor)) {
      CheckCursorLocked(session);  // → resume_unavailable, from the head
      GoLiveLocked(session);
      return false;
    }
    session.next_seq = window_base_seq_;
  }
  const uint64_t index = session.next_seq - window_base_seq_;
  if (index >= window_.size()) {
    progress = GoLiveLocked(session);
    return false;
  }
  const size_t end = std::min(window_.size(), static_cast<size_t>(index) + kPumpBatch);
  for (size_t i = static_cast<size_t>(index); i < end; ++i) {
    batch.entries.push_back(window_[i].entry);
  }
  batch.first_seq = session.next_seq;
  batch.start = session.cursor;
  batch.channel_keys = session.channel_keys;
  return true;
}

void GatewayHub::BuildBatch(const std::string& user_id, CatchUpBatch& batch) const {
  ResumeCursor cursor = batch.start;
  for (const auto& entry : batch.entries) {
    EntryFrames built = BuildEntryFrames(user_id, batch.channel_keys, *entry, cursor,
                                         options_.max_event_bytes, /*head=*/nullptr);
    if (!built.below) cursor = built.end;
    batch.built.push_back(std::move(built));
  }
}

bool GatewayHub::CommitBatchLocked(GatewaySession& session, CatchUpBatch& batch) {
  if (!session.registered || session.evicted || !session.catching_up ||
      session.next_seq != batch.first_seq || batch.first_seq < window_base_seq_ ||
      session.cursor != batch.start || session.channel_keys != batch.channel_keys) {
    return true;  // moved while the batch was built: the next turn takes a fresh one
  }
  for (size_t i = 0; i < batch.built.size(); ++i) {
    if (!SendFramesLocked(session, batch.built[i], /*live=*/false)) {
      if (session.ws->closed()) catching_up_.erase(session.id);
      return i > 0;
    }
    ++session.next_seq;
  }
  if (session.next_seq - window_base_seq_ >= window_.size()) GoLiveLocked(session);
  return true;
}

bool GatewayHub::PumpOneLocked(std::unique_lock<std::mutex>& lock, uint64_t id) {
  auto found = connections_.find(id);
  if (found == connections_.end() || found->second->evicted) {
    catching_up_.erase(id);
    return false;
  }
  const std::shared_ptr<GatewaySession> session = found->second;  // alive while unlocked
  if (!session->catching_up) return false;
  CatchUpBatch batch;
  bool progress = false;
  if (!TakeBatchLocked(*session, batch, progress)) return progress;
  lock.unlock();
  BuildBatch(session->user_id, batch);
  StepAsideForFanouts();
  lock.lock();
  return CommitBatchLocked(*session, batch);
}

void GatewayHub::StepAsideForFanouts() const {
  // Bounded: a fan-out that was woken but is not yet running (a busy machine) must not starve
  // everyone else — after kStepAside the caller contends for the lock like any thread.
  const auto deadline = PumpClock::now() + kStepAside;
  while (fanouts_waiting_.load(std::memory_order_acquire) > 0 && PumpClock::now() < deadline) {
    std::this_thread::yield();
  }
}

void GatewayHub::PumpLoop() {
  // Catch-up is background work: on a busy machine the live fan-out thread gets the CPU first
  // (Linux applies nice per thread). Best effort; failure leaves the default priority.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kPumpNice);
  PumpPacer pacer(options_.resume_pump_percent);
  std::unique_lock lock(mu_);
  while (!pump_stop_) {
    if (catching_up_.empty()) {
      pump_cv_.wait(lock, [this] { return pump_stop_ || !catching_up_.empty(); });
      continue;
    }
    bool progress = false;
    const std::vector<uint64_t> ids(catching_up_.begin(), catching_up_.end());
    // One connection at a time until it is live or its queue is full: a connection that waits
    // its turn only accumulates live events to replay, so serving many at once cannot keep up.
    for (uint64_t id : ids) {
      bool more = true;
      while (more) {
        const bool moved = PumpOneLocked(lock, id);
        progress = moved || progress;
        more = moved && catching_up_.count(id) != 0;
        lock.unlock();  // fan-outs and commands take the lock between batches
        if (pacer.Spent()) pacer.Rest();
        StepAsideForFanouts();
        lock.lock();
        if (pump_stop_) return;
      }
    }
    if (progress) continue;
    lock.unlock();  // every queue is full: let the sockets drain
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    lock.lock();
  }
}

}  // namespace filament::gateway
