#pragma once

// Internal to the runner library: the loop that drives one projection (used by
// ProjectionRunner threads and by Replay).

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"
#include "projections/projection.hpp"
#include "projections/runner/applied_positions.hpp"
#include "projections/runner/metrics.hpp"

namespace filament::projections {

struct WorkerConfig {
  std::string conninfo;
  std::string schema;  // scratch schema for replay --check; empty = live tables
  size_t batch_size = 500;
  std::chrono::milliseconds poll_wait{200};
  std::chrono::milliseconds min_backoff{50};
  std::chrono::milliseconds max_backoff{5000};
  // Commit batches without waiting for their WAL flush (synchronous_commit=off, ADR 0072).
  bool async_commit = false;
  // ADR 0097: a polled batch of records the projection ignores advances in memory only, and the
  // checkpoint is committed at most this long after (or with the next applied batch). Zero =
  // commit every batch. Only while following the log (not with `until`).
  std::chrono::milliseconds defer_ignored{0};
  // Stop once every partition's checkpoint reaches these end offsets (replay); records at or
  // past them are not applied. Unset = follow the log until stopped.
  std::optional<std::vector<int64_t>> until;
  std::function<void(const std::string&)> log;                       // may be empty
  AppliedObserver* observer = nullptr;                               // may be null
  RunnerMetrics* metrics = nullptr;                                  // may be null
  std::function<void(uint64_t applied, uint64_t skipped)> progress;  // after each commit
  // The rebuild pipeline (ADR 0074; only with `until`): a reader thread and `decoders` threads
  // running Projection::Prepare stay up to `read_ahead_chunks` polls ahead of the writer.
  bool read_ahead = false;
  int decoders = 2;
  size_t read_ahead_chunks = 4;
};

// Runs `projection` until `stop` is set, the `until` offsets are reached (ok), or a record
// cannot be applied (returns that error, kInvalidArgument, naming position and type).
// Transient log and database errors are logged and retried with exponential backoff.
core::Status RunProjection(events::EventLog& log, Projection& projection,
                           const WorkerConfig& config, const std::atomic<bool>& stop);

}  // namespace filament::projections
