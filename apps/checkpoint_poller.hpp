#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace filament::pgstore {
class ConnectionPool;
}  // namespace filament::pgstore
namespace filament::projections {
class AppliedPositions;
}  // namespace filament::projections

namespace filament::app {

// Read-your-writes for an `api` process whose projections run elsewhere (`filament project`):
// polls projection_checkpoints every `interval_ms` and feeds AppliedPositions, so mutations
// still answer after their events reached the read models.
class CheckpointPoller {
 public:
  CheckpointPoller(pgstore::ConnectionPool& pool, projections::AppliedPositions& applied,
                   std::vector<std::string> projections, int interval_ms = 20);
  ~CheckpointPoller();
  void Start();
  void Stop();

 private:
  void PollOnce();

  pgstore::ConnectionPool& pool_;
  projections::AppliedPositions& applied_;
  std::vector<std::string> projections_;
  int interval_ms_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace filament::app
