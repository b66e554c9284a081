#include "apps/checkpoint_poller.hpp"

#include "adapters/pgstore/connection_pool.hpp"
#include "core/thread_name.hpp"
#include "projections/runner/applied_positions.hpp"

namespace filament::app {

CheckpointPoller::CheckpointPoller(pgstore::ConnectionPool& pool,
                                   projections::AppliedPositions& applied,
                                   std::vector<std::string> projections, int interval_ms)
    : pool_(pool),
      applied_(applied),
      projections_(std::move(projections)),
      interval_ms_(interval_ms) {}

CheckpointPoller::~CheckpointPoller() { Stop(); }

void CheckpointPoller::Start() {
  thread_ = core::NamedThread("checkpoint-poll", [this] {
    while (!stop_) {
      PollOnce();
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms_));
    }
  });
}

void CheckpointPoller::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void CheckpointPoller::PollOnce() {
  (void)pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::read_transaction tx(c);
    for (const auto& row : tx.exec("SELECT projection, partition, next_offset "
                                   "FROM projection_checkpoints WHERE next_offset > 0")) {
      auto name = row[0].as<std::string>();
      for (const auto& wanted : projections_) {
        if (wanted != name) continue;
        applied_.Update(name, {row[1].as<int32_t>(), row[2].as<int64_t>() - 1});
      }
    }
    return core::OkStatus();
  });
}

}  // namespace filament::app
