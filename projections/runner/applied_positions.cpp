#include "projections/runner/applied_positions.hpp"

namespace filament::projections {

void AppliedPositions::Update(std::string_view projection, const events::Position& position) {
  if (position.partition < 0 || position.offset < 0) return;
  {
    std::lock_guard lock(mu_);
    auto& next = next_[std::string(projection)];
    auto partition = static_cast<size_t>(position.partition);
    if (next.size() <= partition) next.resize(partition + 1, 0);
    if (next[partition] > position.offset) return;
    next[partition] = position.offset + 1;
  }
  changed_.notify_all();
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
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return HasAppliedLocked(projections, position); });
}

}  // namespace filament::projections
