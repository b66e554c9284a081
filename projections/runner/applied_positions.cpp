#include "projections/runner/applied_positions.hpp"

#include <algorithm>

#include "core/blocking.hpp"
#include "core/thread_name.hpp"

namespace filament::projections {

AppliedPositions::~AppliedPositions() {
  std::vector<std::function<void(bool)>> pending;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (Waiter& waiter : waiters_) pending.push_back(std::move(waiter.done));
    waiters_.clear();
  }
  deadlines_changed_.notify_all();
  if (deadline_thread_.joinable()) deadline_thread_.join();
  for (auto& done : pending) done(false);
}

void AppliedPositions::Update(std::string_view projection, const events::Position& position) {
  if (position.partition < 0 || position.offset < 0) return;
  std::vector<std::function<void(bool)>> ready;
  {
    std::lock_guard lock(mu_);
    auto& next = next_[std::string(projection)];
    auto partition = static_cast<size_t>(position.partition);
    if (next.size() <= partition) next.resize(partition + 1, 0);
    if (next[partition] > position.offset) return;
    next[partition] = position.offset + 1;
    if (!waiters_.empty()) TakeSatisfiedLocked(position.partition, ready);
  }
  changed_.notify_all();
  for (auto& done : ready) done(true);
}

void AppliedPositions::TakeSatisfiedLocked(int32_t partition,
                                           std::vector<std::function<void(bool)>>& ready) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->position.partition == partition && HasAppliedLocked(it->projections, it->position)) {
      ready.push_back(std::move(it->done));
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

void AppliedPositions::WhenApplied(std::vector<std::string> projections,
                                   const events::Position& position,
                                   std::chrono::milliseconds timeout,
                                   std::function<void(bool)> done) {
  bool reached = true;
  {
    std::lock_guard lock(mu_);
    if (projections.empty() || HasAppliedLocked(projections, position)) {
      reached = true;
    } else if (stopping_ || timeout.count() <= 0) {
      reached = false;
    } else {
      waiters_.push_back(Waiter{std::move(projections), position,
                                std::chrono::steady_clock::now() + timeout, std::move(done)});
      if (!deadline_thread_.joinable()) {
        deadline_thread_ = core::NamedThread("ryw-deadlines", [this] { RunDeadlines(); });
      }
      deadlines_changed_.notify_all();
      return;
    }
  }
  done(reached);
}

size_t AppliedPositions::pending_waiters() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

// Tells each waiter whose deadline passed `false`. Sleeps until the earliest deadline, or until
// a waiter is added or the object is going away.
void AppliedPositions::RunDeadlines() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    auto earliest = std::chrono::steady_clock::time_point::max();
    std::vector<std::function<void(bool)>> expired;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->deadline <= now) {
        expired.push_back(std::move(it->done));
        it = waiters_.erase(it);
      } else {
        earliest = std::min(earliest, it->deadline);
        ++it;
      }
    }
    if (!expired.empty()) {
      lock.unlock();
      for (auto& done : expired) done(false);
      lock.lock();
      continue;
    }
    if (earliest == std::chrono::steady_clock::time_point::max()) {
      deadlines_changed_.wait(lock);
    } else {
      deadlines_changed_.wait_until(lock, earliest);
    }
  }
}

bool AppliedPositions::HasAppliedLocked(const std::vector<std::string>& projections,
                                        const events::Position& position) const {
  if (position.partition < 0) return false;
  auto partition = static_cast<size_t>(position.partition);
  for (const auto& name : projections) {
    auto it = next_.find(name);
    if (it == next_.end() || it->second.size() <= partition) return false;
    if (it->second[partition] <= position.offset) return false;
  }
  return true;
}

std::vector<int64_t> AppliedPositions::Next(std::string_view projection) const {
  std::lock_guard lock(mu_);
  auto it = next_.find(projection);
  return it == next_.end() ? std::vector<int64_t>() : it->second;
}

bool AppliedPositions::HasApplied(const std::vector<std::string>& projections,
                                  const events::Position& position) const {
  std::lock_guard lock(mu_);
  return HasAppliedLocked(projections, position);
}

bool AppliedPositions::WaitFor(const std::vector<std::string>& projections,
                               const events::Position& position,
                               std::chrono::milliseconds timeout) {
  const core::ScopedBlocking waiting;  // for the read models (ADR 0113)
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return HasAppliedLocked(projections, position); });
}

}  // namespace filament::projections
