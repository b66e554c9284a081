#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "events/event_log.hpp"

namespace filament::events {

struct SharedTailOptions {
  // Records the shared reader asks the log for per poll.
  size_t batch = 512;
  // Records kept for readers that have not taken them yet. A reader further behind than this
  // reads the log on its own until it is back inside the window.
  size_t window = 16384;
};

// Counters of a SharedTailLog, for tests and benchmarks.
struct SharedTailStats {
  uint64_t shared_polls = 0;   // polls of the one shared reader
  uint64_t private_polls = 0;  // polls of a reader's own reader (behind the window)
  uint64_t own_readers = 0;    // readers opened for a reader behind the window (or first)
};

// An EventLog whose readers share one reader of the log (ADR 0098). In one process, every
// projection worker and the gateway bridge follow the head of the same log; each used to run
// its own query (or Kafka fetch) and decode on every wake-up. Here one of them at a time polls
// the shared reader, the records go into a bounded window, and every reader takes its records
// from the window. A reader that starts behind the window, or falls out of it, reads the log on
// its own (an inner reader at its position) and rejoins once it is inside the window again.
//
// Each reader keeps the LogReader contract unchanged: per partition, records in offset order
// from its start, no gap, NextOffset where it stands. Readers of only some partitions get an
// inner reader of their own. Appends, end offsets and partition ownership go to the inner log.
// Thread-safe as the inner log is; each reader is used by one thread at a time, as any reader.
// The inner log must outlive the readers.
class SharedTailLog final : public EventLog {
 public:
  explicit SharedTailLog(EventLog& inner, SharedTailOptions options = {});
  ~SharedTailLog() override;

  int32_t Partitions() const override { return inner_.Partitions(); }
  core::Result<std::vector<Position>> Append(const AppendBatch& batch) override {
    return inner_.Append(batch);
  }
  core::Result<std::unique_ptr<LogReader>> OpenReader(const std::vector<Position>& start) override;
  core::Result<std::vector<int64_t>> EndOffsets() override { return inner_.EndOffsets(); }
  core::Result<int64_t> AcquirePartition(int32_t partition) override {
    return inner_.AcquirePartition(partition);
  }

  SharedTailStats Stats() const;

  struct Hub;

 private:
  EventLog& inner_;
  std::shared_ptr<Hub> hub_;
};

}  // namespace filament::events
