#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace filament::app {

// How far a log consumer (a projection, the gateway bridge) is behind the log, in time and in
// records, from periodic samples of the log's end offsets (ADR 0076). Not thread-safe.
//
// Time lag: the age of the oldest sample whose end the consumer has not reached, i.e. how long
// ago a record it has not applied yet was already in the log — at most one sample interval
// more than the age of the oldest unapplied record, and 0 once the consumer has reached every
// sampled end. A consumer position is "the next offset not yet applied" per partition (missing
// partitions read as 0).
class LagTracker {
 public:
  explicit LagTracker(size_t max_samples = 3000);

  // The log's end offsets as read at `now_ms`. When the window is full the sample is not kept
  // (the oldest ones, which decide the lag of a stuck consumer, stay) but still counts as the
  // latest end for LagRecords.
  void AddSample(int64_t now_ms, std::vector<int64_t> end_offsets);
  // Forgets the samples every one of `positions` has reached (the newest is always kept).
  void Prune(const std::vector<std::vector<int64_t>>& positions);

  int64_t LagMs(int64_t now_ms, const std::vector<int64_t>& next) const;
  // Records between `next` and the latest sampled end, summed over partitions.
  int64_t LagRecords(const std::vector<int64_t>& next) const;
  bool has_sample() const { return !latest_.empty() || !samples_.empty(); }

 private:
  struct Sample {
    int64_t at_ms;
    std::vector<int64_t> ends;
  };
  static bool Reached(const std::vector<int64_t>& next, const std::vector<int64_t>& ends);

  size_t max_samples_;
  std::deque<Sample> samples_;
  std::vector<int64_t> latest_;
};

}  // namespace filament::app
