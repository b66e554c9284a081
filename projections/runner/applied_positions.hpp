#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "events/log_record.hpp"

namespace filament::projections {

// Told by the runner, after each commit, the position of the last record a projection has
// applied (or passed by a skip) in one partition. Called from runner threads; implementations
// must be thread-safe and must not block for long.
class AppliedObserver {
 public:
  virtual ~AppliedObserver() = default;
  virtual void OnApplied(std::string_view projection, const events::Position& position) = 0;
};

// What each projection has applied, per partition, so the API can wait for read-your-writes
// ("the read models my next GET reads include position P"). Thread-safe.
class AppliedPositions final : public AppliedObserver {
 public:
  // Records that `projection` has applied every record of `position.partition` up to and
  // including `position.offset`. Positions never move backwards.
  void Update(std::string_view projection, const events::Position& position);
  void OnApplied(std::string_view projection, const events::Position& position) override {
    Update(projection, position);
  }

  // True once every named projection has applied `position` (same partition, offset at least
  // position.offset); false when `timeout` runs out first. An empty list is satisfied at once.
  bool WaitFor(const std::vector<std::string>& projections, const events::Position& position,
               std::chrono::milliseconds timeout);

  // The next offset not yet applied per partition (index = partition; shorter than the log's
  // partition count when later partitions saw nothing yet: read those as 0).
  std::vector<int64_t> Next(std::string_view projection) const;

  // Non-blocking form of WaitFor.
  bool HasApplied(const std::vector<std::string>& projections,
                  const events::Position& position) const;

 private:
  bool HasAppliedLocked(const std::vector<std::string>& projections,
                        const events::Position& position) const;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  // projection -> per partition, the next offset not yet applied.
  std::map<std::string, std::vector<int64_t>, std::less<>> next_;
};

}  // namespace filament::projections
