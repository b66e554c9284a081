#pragma once

// Internal to adapters/postgres (includes libpqxx through pg_connection.hpp).

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "adapters/postgres/pg_connection.hpp"
#include "events/event_log.hpp"

namespace filament::postgres::internal {

// Reads event_log partitions from positions; see events::LogReader. Woken by NOTIFY
// filament_log (sent by filament_log_append at commit) and, as a fallback, re-reads every
// kFallbackPoll while waiting. A read that reached the end of every partition is not followed
// by another until a notification (or the fallback) says there may be more: a commit its
// snapshot missed notifies after it (libpqxx keeps what arrives during a statement queued
// until the next wait), so the read that would find nothing is skipped (ADR 0106). Not
// thread-safe (one consumer thread), like every LogReader.
class PgLogReader final : public events::LogReader {
 public:
  static constexpr std::chrono::milliseconds kFallbackPoll{250};
  static constexpr size_t kMaxRecordsPerPoll = 5'000;

  // `start` was validated by PgEventLog::OpenReader.
  PgLogReader(std::string conninfo, int32_t partitions, std::vector<events::Position> start);
  ~PgLogReader() override;

  core::Result<std::vector<events::StoredRecord>> Poll(size_t max_records,
                                                       std::chrono::milliseconds wait) override;
  int64_t NextOffset(int32_t partition) const override;

 private:
  class Wakeup;
  core::Result<std::vector<events::StoredRecord>> ReadAvailable(size_t max_records);
  // Waits up to `slice` for a notification; returns whether one came.
  core::Result<bool> Wait(std::chrono::milliseconds slice);

  const int32_t partitions_;
  std::vector<events::Position> next_;  // the next offset to read, per partition
  // Rows one read returned beyond `max_records` (each partition reads up to that many), kept
  // in order for the next Poll instead of being read again.
  std::deque<events::StoredRecord> ahead_;
  size_t rotation_ = 0;  // which partition goes first, for fairness
  // The last read returned every partition's rows up to its end (fewer than it asked for, no
  // row skipped) and no notification has come since: nothing new until one does.
  bool at_end_ = false;
  std::unique_ptr<Wakeup> wakeup_;  // bound to the connection; dropped before it
  LazyConnection conn_;
};

}  // namespace filament::postgres::internal
