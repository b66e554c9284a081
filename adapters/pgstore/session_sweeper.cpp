#include "adapters/pgstore/session_sweeper.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace filament::pgstore {

SessionSweeper::SessionSweeper(AuthStore& store, const core::Clock& clock, Options options)
    : store_(store), clock_(clock), options_(options) {}

SessionSweeper::~SessionSweeper() { Stop(); }

void SessionSweeper::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SessionSweeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

core::Result<SweepCounts> SessionSweeper::SweepOnce() {
  SweepCounts total;
  const int64_t now = clock_.NowUnix();
  for (int64_t i = 0; i < options_.max_batches; ++i) {
    auto batch = store_.SweepExpiredSessions(now, options_.used_retention_secs, options_.batch);
    if (!batch.ok()) return batch.error();
    total.sessions += batch->sessions;
    total.used_tokens += batch->used_tokens;
    if (batch->sessions < options_.batch && batch->used_tokens < options_.batch) break;
    std::lock_guard lock(mu_);
    if (stopping_) break;
  }
  return total;
}

void SessionSweeper::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms),
                   [this] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    auto swept = SweepOnce();
    if (!swept.ok()) {
      std::fprintf(stderr, "session sweeper: %s (retrying at the next sweep)\n",
                   swept.error().message.c_str());
    }
    lock.lock();
  }
}

}  // namespace filament::pgstore
