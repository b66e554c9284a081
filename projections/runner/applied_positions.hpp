#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
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
  AppliedPositions() = default;
  // Tells every pending WhenApplied waiter `false`, then stops its deadline thread.
  ~AppliedPositions() override;
  AppliedPositions(const AppliedPositions&) = delete;
  AppliedPositions& operator=(const AppliedPositions&) = delete;

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

  // WaitFor without a waiting thread (ADR 0090: a mutation's answer waits, its HTTP worker does
  // not): calls `done(true)` once every named projection has applied `position`, or
  // `done(false)` when `timeout` runs out first — exactly once: on the calling thread when it is
  // already applied, else on the thread whose Update applies it, or on the deadline thread.
  // `done` must be quick and must not call back into this object.
  void WhenApplied(std::vector<std::string> projections, const events::Position& position,
                   std::chrono::milliseconds timeout, std::function<void(bool)> done);

  size_t pending_waiters() const;  // WhenApplied calls not yet told

 private:
  struct Waiter {
    std::vector<std::string> projections;
    events::Position position;
    std::chrono::steady_clock::time_point deadline;
    std::function<void(bool)> done;
  };
  // Moves the waiters `position`'s partition now satisfies into `ready` (told true by the caller,
  // outside the lock).
  void TakeSatisfiedLocked(int32_t partition, std::vector<std::function<void(bool)>>& ready);
  void RunDeadlines();

  bool HasAppliedLocked(const std::vector<std::string>& projections,
                        const events::Position& position) const;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  // projection -> per partition, the next offset not yet applied.
  std::map<std::string, std::vector<int64_t>, std::less<>> next_;
  std::list<Waiter> waiters_;
  std::condition_variable deadlines_changed_;
  bool stopping_ = false;
  std::thread deadline_thread_;  // started by the first waiter that has to wait
};

}  // namespace filament::projections
