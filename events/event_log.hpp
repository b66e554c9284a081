#pragma once

#include <chrono>
#include <memory>
#include <string>
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

  // The offset at which this reader stands in `partition`: every record below it has been
  // returned by Poll, and the next one returned will be at or after it. It may lie past the
  // last record returned (Kafka's transaction markers take offsets), so "NextOffset(p) >= end"
  // is how a reader knows it has read everything below an end offset. -1 for a partition the
  // reader does not read.
  virtual int64_t NextOffset(int32_t partition) const = 0;
};

// Error::reason of an append refused because the partition is owned by another writer, or
// of an AcquirePartition that lost its partition to a later acquire (code kFailedPrecondition).
inline constexpr const char* kPartitionFencedReason = "partition_fenced";

// Whether an EventLog handle may append anywhere (kSingle: one writer process per log, the
// default, `filament serve`) or only to the partitions it has acquired (kFenced: several
// writer processes share the partitions, ADR 0082).
enum class WriterMode { kSingle, kFenced };

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

  // Partition ownership (ADR 0082). Makes this handle, which must be open in
  // WriterMode::kFenced, the one writer of `partition` and returns the new writer epoch.
  // From the moment it returns, every Append to `partition` through any handle that acquired
  // it before (another process, or an earlier handle of this one) fails with
  // kFailedPrecondition, reason kPartitionFencedReason, and writes nothing; appends this handle
  // made before the acquire returned are in the log. A kFenced handle refuses (same error)
  // appends to partitions it has not acquired or has lost. Acquiring again is allowed (a new
  // epoch). The log's own ownership mechanism decides, never a lock service beside it.
  // Errors: kInvalidArgument (partition out of range), kFailedPrecondition (log or handle
  // without ownership: a kSingle handle, or a log that does not implement it), kUnavailable.
  virtual core::Result<int64_t> AcquirePartition(int32_t partition) {
    (void)partition;
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "this event log has no partition ownership");
  }
};

}  // namespace filament::events
