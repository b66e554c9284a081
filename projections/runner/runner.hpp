#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"
#include "projections/projection.hpp"
#include "projections/runner/applied_positions.hpp"
#include "projections/runner/metrics.hpp"

namespace filament::projections {

struct RunnerOptions {
  std::string conninfo;                       // libpq connection string of the read-model database
  size_t batch_size = 500;                    // records per poll and per transaction
  std::chrono::milliseconds poll_wait{200};   // also bounds how long Stop() waits
  std::chrono::milliseconds min_backoff{50};  // after a transient log / database error ...
  std::chrono::milliseconds max_backoff{5000};  // ... doubling up to this
  // Commit batches with synchronous_commit=off (ADR 0072): the read models are rebuilt from
  // the durable log, and a batch's writes and checkpoint are lost or kept together.
  bool async_commit = true;
  // ADR 0097: a batch made only of records a projection ignores (Projection::Ignores) is passed
  // without a transaction, and its checkpoint is committed at most this long after, or with the
  // next batch the projection applies. The observer is told at once. Zero = commit every batch;
  // keep it zero when another process waits on these checkpoints (a split `api`).
  std::chrono::milliseconds defer_ignored{0};
  // Where progress problems are reported (one line each). Empty = stderr.
  std::function<void(const std::string&)> log;
};

enum class ProjectionState { kRunning, kFailed, kStopped };

struct ProjectionStatus {
  std::string name;
  ProjectionState state = ProjectionState::kRunning;
  std::optional<core::Error> error;  // set when kFailed
};

// Runs projections against one EventLog and one PostgreSQL database, one thread and one reader
// per projection. Each polled batch (up to batch_size records) is applied to a projection in
// ONE transaction that also advances that projection's checkpoint per partition, with a
// compare-and-set on the old checkpoint: a crash at any point neither loses nor double-applies
// a record, and two runners of the same projection never apply the same record twice.
//
// A record a projection cannot decode or apply stops that projection (state kFailed) with an
// error naming the record's position and type; the checkpoint stays on the record, and
// filament_projection_decode_failures_total{projection} is incremented. Other projections go
// on. AddSkip() records an operator's decision to pass exactly that record.
// Transient log / database errors are logged and retried with exponential backoff.
//
// The log, the projections, the observer and the metrics must outlive the runner.
// Start/Stop/Statuses/WaitUntilStopped are thread-safe.
class ProjectionRunner {
 public:
  ProjectionRunner(events::EventLog& log, std::vector<Projection*> projections,
                   RunnerOptions options, AppliedObserver* observer = nullptr,
                   RunnerMetrics* metrics = nullptr);
  ~ProjectionRunner();  // Stop()s
  ProjectionRunner(const ProjectionRunner&) = delete;
  ProjectionRunner& operator=(const ProjectionRunner&) = delete;

  // Starts one thread per projection. Calling it twice does nothing.
  void Start();
  // Asks every thread to stop after its current transaction and joins them. Idempotent.
  void Stop();

  std::vector<ProjectionStatus> Statuses() const;
  // Blocks until every projection has stopped (failed) or `timeout` passes; true if all did.
  bool WaitUntilStopped(std::chrono::milliseconds timeout);

 private:
  void RunOne(size_t index);

  events::EventLog& log_;
  std::vector<Projection*> projections_;
  RunnerOptions options_;
  AppliedObserver* observer_;
  RunnerMetrics* metrics_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<ProjectionStatus> statuses_;
};

// The operator's instruction to skip one record in one projection (`--skip-position P:O`),
// stored in projection_skips (never deleted, so every skip is auditable). Takes effect when the
// projection next (re)starts. Idempotent for the same projection and position.
// Errors: kUnavailable (database unreachable), kInternal.
core::Status AddSkip(const std::string& conninfo, std::string_view projection,
                     const events::Position& position, std::string_view reason,
                     std::string_view created_by);

struct SkipEntry {
  std::string projection;
  events::Position position;
  std::string reason;
  std::string created_by;
  std::string created_at;  // as PostgreSQL prints timestamptz
};
core::Result<std::vector<SkipEntry>> ListSkips(const std::string& conninfo);

// Next offset per partition (index = partition) of `projection`; zeros when it has none.
core::Result<std::vector<int64_t>> ReadCheckpoints(const std::string& conninfo,
                                                   std::string_view projection, int32_t partitions);

// Creates projection_checkpoints and projection_skips if missing (the SQL of
// migrations/0002_projection_checkpoints.sql), for tests and tools run before `migrate`.
core::Status EnsureCheckpointTables(const std::string& conninfo);

}  // namespace filament::projections
