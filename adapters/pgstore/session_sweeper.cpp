#include "adapters/pgstore/session_sweeper.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace filament::pgstore {

SessionSweeper::SessionSweeper(AuthStore& store, const core::Clock& clock, Options options)
    : store_(store),
      clock_(clock),
      options_(options),
      task_(
          std::chrono::milliseconds(options.interval_ms),
          std::chrono::milliseconds(options.interval_ms), [this] { Sweep(); }, "session-sweeper") {}

SessionSweeper::~SessionSweeper() { Stop(); }

void SessionSweeper::Start() { task_.Start(); }

void SessionSweeper::Stop() { task_.Stop(); }

core::Result<SweepCounts> SessionSweeper::SweepOnce() {
  SweepCounts total;
  const int64_t now = clock_.NowUnix();
  for (int64_t i = 0; i < options_.max_batches; ++i) {
    auto batch = store_.SweepExpiredSessions(now, options_.used_retention_secs, options_.batch);
    if (!batch.ok()) return batch.error();
    total.sessions += batch->sessions;
    total.used_tokens += batch->used_tokens;
    if (batch->sessions < options_.batch && batch->used_tokens < options_.batch) break;
    if (task_.stopping()) break;
  }
  return total;
}

void SessionSweeper::Sweep() {
  auto swept = SweepOnce();
  if (!swept.ok()) {
    std::fprintf(stderr, "session sweeper: %s (retrying at the next sweep)\n",
                 swept.error().message.c_str());
  }
}

}  // namespace filament::pgstore
