#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "core/result.hpp"
#include "events/log_record.hpp"

namespace filament::events {

// Reads records from a fixed set of partitions, each from its own start offset.
// Not thread-safe: one consumer thread owns a reader.
class LogReader {
 public:
  virtual ~LogReader() = default;

  // Returns up to `max_records` records, waiting at most `wait` when none are available.
  // Within a partition, records come in offset order with no gaps, and a record once returned
  // is never followed by a lower offset: a reader never observes a gap that later fills.
  // Records of different partitions may interleave. An empty vector means "nothing new yet".
  // Errors: kUnavailable (log unreachable; call again), kInternal (corrupt log).
  virtual core::Result<std::vector<StoredRecord>> Poll(size_t max_records,
                                                       std::chrono::milliseconds wait) = 0;
};

// The log port: append batches, read partitions from positions. Implemented by
// adapters/postgres (PgEventLog, the embedded default) and adapters/kafka (KafkaEventLog).
// Thread-safe: many threads may Append at once (adapters group-commit concurrent appends).
class EventLog {
 public:
  virtual ~EventLog() = default;

  virtual int32_t Partitions() const = 0;

  // Appends `batch` atomically and durably; returns one Position per record, in order.
  // All records of a batch go to PartitionFor(batch.stream).
  // Errors: kAborted (the stream is not at batch.expected_version: re-read state and decide
  // again; nothing was written), kInvalidArgument (empty or inconsistent batch),
  // kUnavailable (log unreachable: whether the batch was written is unknown only for Kafka
  // without idempotence, which we never configure).
  virtual core::Result<std::vector<Position>> Append(const AppendBatch& batch) = 0;

  // Opens a reader over the given partitions, each starting at its `offset` (inclusive).
  virtual core::Result<std::unique_ptr<LogReader>> OpenReader(
      const std::vector<Position>& start) = 0;

  // The next offset to be written in each partition (index = partition), i.e. the end.
  virtual core::Result<std::vector<int64_t>> EndOffsets() = 0;
};

}  // namespace filament::events
