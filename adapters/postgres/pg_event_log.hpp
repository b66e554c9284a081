#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::postgres {

// The embedded event log: an append-only PostgreSQL table (migrations/0001_event_log.sql) with
// dense per-partition offsets from 0. See events::EventLog for the contract.
//
// Appends are group-committed: concurrent Append calls (from any thread) are coalesced by one
// appender thread per PgEventLog into one transaction (one function call for the whole group,
// ADR 0114), in which a conflicting batch fails alone; callers block until their batch is
// committed (durable when the server runs with fsync/synchronous_commit on). Offsets are
// allocated under the partition row's lock, held until commit, so appends to one partition
// commit in offset order even across processes: a reader never sees a gap that later fills.
// Readers are woken by LISTEN/NOTIFY and also poll as a fallback.
//
// Thread-safe. Broken connections give kUnavailable and are re-opened on the next call.
class PgEventLog final : public events::EventLog {
 public:
  // Opens the log in the database at `conninfo` (a libpq conninfo string or URI). The schema must
  // exist (ApplyMigrations). `partitions` (1..1024) is recorded on the first open.
  // Errors: kInvalidArgument (bad partitions), kUnavailable (cannot connect; retry),
  // kFailedPrecondition (schema missing, or the log was created with another partition count).
  // `mode` kFenced (ADR 0082): appends only to partitions acquired with AcquirePartition,
  // each checked against the partition's writer epoch (migration 0058) in the group's
  // transaction; kSingle (the default) never looks at writer epochs.
  static core::Result<std::unique_ptr<PgEventLog>> Open(
      const std::string& conninfo, int32_t partitions,
      events::WriterMode mode = events::WriterMode::kSingle);
  ~PgEventLog() override;  // pending appends fail with kUnavailable; readers stay usable

  int32_t Partitions() const override;
  // Errors as events::EventLog::Append; in addition kInvalidArgument for text that PostgreSQL
  // cannot store byte for byte (not UTF-8, or containing NUL) and for oversized records.
  // With kAnyVersion the log numbers the records itself (stream head + 1, + 2, ...).
  core::Result<std::vector<events::Position>> Append(const events::AppendBatch& batch) override;
  // Errors: kInvalidArgument (unknown or repeated partition, negative offset).
  // The reader has its own connection and may outlive this PgEventLog.
  core::Result<std::unique_ptr<events::LogReader>> OpenReader(
      const std::vector<events::Position>& start) override;
  core::Result<std::vector<int64_t>> EndOffsets() override;
  // Bumps the partition's row in log_partition_writers (filament_log_acquire); waits for
  // appends of the previous owner that are in flight, which commit first. PostgreSQL needs no
  // catch-up: the append checks the stream's version against the table.
  core::Result<int64_t> AcquirePartition(int32_t partition) override;

 private:
  struct Impl;
  explicit PgEventLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace filament::postgres
