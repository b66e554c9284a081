#include "apps/lag_tracker.hpp"

#include <algorithm>

namespace filament::app {

LagTracker::LagTracker(size_t max_samples) : max_samples_(std::max<size_t>(2, max_samples)) {}

bool LagTracker::Reached(const std::vector<int64_t>& next, const std::vector<int64_t>& ends) {
  for (size_t p = 0; p < ends.size(); ++p) {
    const int64_t at = p < next.size() ? next[p] : 0;
    if (at < ends[p]) return false;
  }
  return true;
}

void LagTracker::AddSample(int64_t now_ms, std::vector<int64_t> end_offsets) {
  latest_ = end_offsets;
  if (!samples_.empty() && samples_.back().ends == end_offsets) return;  // nothing new
  if (samples_.size() >= max_samples_) return;
  samples_.push_back({now_ms, std::move(end_offsets)});
}

void LagTracker::Prune(const std::vector<std::vector<int64_t>>& positions) {
  while (samples_.size() > 1) {
    const auto& ends = samples_.front().ends;
    bool all =
        std::all_of(positions.begin(), positions.end(),
                    [&ends](const std::vector<int64_t>& next) { return Reached(next, ends); });
    if (!all) break;
    samples_.pop_front();
  }
}

int64_t LagTracker::LagMs(int64_t now_ms, const std::vector<int64_t>& next) const {
  for (const Sample& sample : samples_) {
    if (!Reached(next, sample.ends)) return std::max<int64_t>(0, now_ms - sample.at_ms);
  }
  return 0;
}

int64_t LagTracker::LagRecords(const std::vector<int64_t>& next) const {
  int64_t behind = 0;
  for (size_t p = 0; p < latest_.size(); ++p) {
    const int64_t at = p < next.size() ? next[p] : 0;
    behind += std::max<int64_t>(0, latest_[p] - at);
  }
  return behind;
}

}  // namespace filament::app
