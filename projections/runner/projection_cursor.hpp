#pragma once

// Internal to the runner library. Applies batches of records to one projection, advancing its
// checkpoint in the same transaction.

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/log_record.hpp"
#include "projections/projection.hpp"

namespace pqxx {
class connection_base;
class dbtransaction;
}  // namespace pqxx

namespace filament::projections {

struct BatchOutcome {
  size_t applied = 0;  // records given to Projection::Apply and committed
  size_t skipped = 0;  // records passed because of an operator skip
  // Last committed position per partition the batch touched (for AppliedObserver).
  std::vector<events::Position> last;
  // A record the projection cannot apply. Every record before it was committed; the
  // checkpoint stops at it.
  std::optional<core::Error> failure;
};

// One projection's progress through the log, mirrored from its checkpoint rows.
// `schema` (optional) is put first on the search_path of every transaction, so the projection's
// unqualified tables and the checkpoint table resolve to a scratch copy there.
// Not thread-safe: one worker thread owns a cursor.
class ProjectionCursor {
 public:
  ProjectionCursor(Projection& projection, int32_t partitions, std::string schema = {});

  // Creates missing checkpoint rows and (re)loads the checkpoints and the operator skips.
  // Errors: kUnavailable / kAborted (retry), kInternal.
  core::Status Load(pqxx::connection_base& conn);

  // Next offset to apply, per partition (index = partition). Ahead of the committed checkpoint
  // while PassIgnored progress is deferred.
  const std::vector<int64_t>& Next() const { return next_; }
  std::vector<events::Position> StartPositions() const;

  // Applies `records` (as read from a reader opened at StartPositions) in one transaction that
  // also advances the checkpoint. Records below the checkpoint are ignored (already applied).
  // Errors (nothing committed; Load again before continuing): kUnavailable (connection),
  // kAborted (the checkpoint was moved by another runner, or a serialization failure),
  // kInternal (a gap in the records, or an unexpected database error outside Apply).
  // `prepared` (the rebuild pipeline, ADR 0074): Projection::Prepare's result per record, then
  // given to ApplyPrepared; empty = Apply.
  core::Result<BatchOutcome> Apply(pqxx::connection_base& conn,
                                   const std::vector<events::StoredRecord>& records,
                                   const std::vector<std::unique_ptr<Prepared>>& prepared = {});

  // ADR 0097: when every record of `records` is one the projection ignores
  // (Projection::Ignores; and none is undecodable, skipped by the operator, or out of order),
  // advances Next() past them in memory, without a transaction, and returns the outcome Apply
  // would have; otherwise nullopt and nothing changes. The checkpoint rows catch up with the
  // next Apply or CommitDeferred; a crash before that re-reads only records Apply ignores.
  std::optional<BatchOutcome> PassIgnored(const std::vector<events::StoredRecord>& records);
  // True while Next() is ahead of the committed checkpoint.
  bool HasDeferred() const { return next_ != committed_; }
  // Commits the deferred progress (an empty batch). Errors as Apply.
  core::Status CommitDeferred(pqxx::connection_base& conn);

 private:
  struct Attempt;
  enum class Step { kApplied, kSkipped, kIgnored, kBad };
  core::Result<Step> ApplyRecord(pqxx::dbtransaction& tx, const events::StoredRecord& record,
                                 const Prepared* prepared, const std::vector<int64_t>& next,
                                 std::optional<core::Error>& bad);
  core::Status LockCheckpoints(pqxx::dbtransaction& tx);
  core::Status AdvanceCheckpoints(pqxx::dbtransaction& tx, const std::vector<int64_t>& next);
  core::Result<BatchOutcome> ApplyOnce(pqxx::connection_base& conn,
                                       const std::vector<events::StoredRecord>& records,
                                       size_t limit, bool flush_each, Attempt& attempt);
  // Flushes the projection's buffered rows; a failure marks the batch bad at `index`.
  core::Result<Step> FlushBuffered(pqxx::dbtransaction& tx, const events::StoredRecord& record,
                                   std::optional<core::Error>& bad);
  // The last position per partition `next` advanced past next_ (BatchOutcome::last).
  std::vector<events::Position> LastPositions(const std::vector<int64_t>& next) const;
  core::Error RecordFailure(const events::StoredRecord& record, const std::string& why) const;

  Projection& projection_;
  int32_t partitions_;
  std::string schema_;
  std::string name_;
  std::vector<int64_t> next_;
  std::vector<int64_t> committed_;  // the checkpoint rows as this cursor last saw them
  std::set<events::Position> skips_;
};

}  // namespace filament::projections
