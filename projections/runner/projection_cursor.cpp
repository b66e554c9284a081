#include "projections/runner/projection_cursor.hpp"

#include <pqxx/pqxx>

#include "projections/runner/pg_support.hpp"

namespace filament::projections {

// What one attempt to apply a batch found: where it must stop and why.
struct ProjectionCursor::Attempt {
  const std::vector<std::unique_ptr<Prepared>>* prepared = nullptr;  // may be empty
  size_t failed_index = 0;
  std::optional<core::Error> failure;
  bool flush_failed = false;  // the batch-end flush failed: the bad record is not known yet
};

namespace {

void SetSearchPath(pqxx::dbtransaction& tx, const std::string& schema) {
  if (schema.empty()) return;
  tx.exec("SET LOCAL search_path TO " + tx.quote_name(schema) + ", public");
}

// The two statements of every applied batch, prepared on the runner's connection (the plan is
// reused; a different search_path, as replay into a shadow schema sets, makes PostgreSQL plan
// again).
constexpr const char* kLockStatement = "filament_checkpoint_lock";
constexpr const char* kLockSql =
    "SELECT partition, next_offset FROM projection_checkpoints WHERE projection = $1 FOR UPDATE";
constexpr const char* kAdvanceStatement = "filament_checkpoint_advance";
constexpr const char* kAdvanceSql =
    "UPDATE projection_checkpoints c SET next_offset = u.next_offset, updated_at = now() "
    "FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS u(partition, next_offset, expected) "
    "WHERE c.projection = $1 AND c.partition = u.partition AND c.next_offset = u.expected";

// Errors from Apply that say "try again later" rather than "this record is bad".
bool IsTransient(const core::Error& error) {
  return error.code == core::ErrorCode::kUnavailable || error.code == core::ErrorCode::kAborted;
}

}  // namespace

ProjectionCursor::ProjectionCursor(Projection& projection, int32_t partitions, std::string schema)
    : projection_(projection),
      partitions_(partitions),
      schema_(std::move(schema)),
      name_(projection.Name()),
      next_(static_cast<size_t>(partitions), 0),
      committed_(next_) {}

std::vector<events::Position> ProjectionCursor::StartPositions() const {
  std::vector<events::Position> start;
  for (int32_t p = 0; p < partitions_; ++p) start.push_back({p, next_[static_cast<size_t>(p)]});
  return start;
}

core::Status ProjectionCursor::Load(pqxx::connection_base& conn) {
  return pg::Guard("load checkpoints of " + name_, [&]() -> core::Status {
    pqxx::work tx(conn);
    SetSearchPath(tx, schema_);
    tx.exec_params(
        "INSERT INTO projection_checkpoints (projection, partition) "
        "SELECT $1, g FROM generate_series(0, $2 - 1) g ON CONFLICT DO NOTHING",
        name_, partitions_);
    std::vector<int64_t> next(static_cast<size_t>(partitions_), 0);
    for (const auto& row : tx.exec_params(
             "SELECT partition, next_offset FROM projection_checkpoints WHERE projection = $1",
             name_)) {
      auto partition = row[0].as<int32_t>();
      if (partition >= 0 && partition < partitions_) {
        next[static_cast<size_t>(partition)] = row[1].as<int64_t>();
      }
    }
    std::set<events::Position> skips;
    for (const auto& row : tx.exec_params(
             "SELECT partition, \"offset\" FROM projection_skips WHERE projection = $1", name_)) {
      skips.insert({row[0].as<int32_t>(), row[1].as<int64_t>()});
    }
    tx.commit();
    next_ = next;
    committed_ = std::move(next);
    skips_ = std::move(skips);
    return core::OkStatus();
  });
}

core::Error ProjectionCursor::RecordFailure(const events::StoredRecord& record,
                                            const std::string& why) const {
  return core::MakeError(core::ErrorCode::kInvalidArgument,
                         "projection " + name_ + " cannot apply record " +
                             events::FormatPosition(record.position) + " (type " +
                             record.record.meta.type + "): " + why,
                         "projection_apply_failed");
}

core::Result<BatchOutcome> ProjectionCursor::Apply(
    pqxx::connection_base& conn, const std::vector<events::StoredRecord>& records,
    const std::vector<std::unique_ptr<Prepared>>& prepared) {
  Attempt attempt{&prepared};
  auto first = ApplyOnce(conn, records, records.size(), /*flush_each=*/false, attempt);
  if (!first.ok() || !attempt.failure) return first;
  if (attempt.flush_failed) {
    // The batch's one flush failed: find the record by flushing after each one.
    attempt = Attempt{&prepared};
    first = ApplyOnce(conn, records, records.size(), /*flush_each=*/true, attempt);
    if (!first.ok() || !attempt.failure) return first;
  }
  // A record failed: the transaction was rolled back. Commit the records before it, so the
  // checkpoint stops exactly at the bad record, then report the failure.
  core::Error failure = *attempt.failure;
  Attempt prefix_attempt{&prepared};
  auto prefix = ApplyOnce(conn, records, attempt.failed_index, /*flush_each=*/true, prefix_attempt);
  if (!prefix.ok()) return prefix;
  if (prefix_attempt.failure) failure = *prefix_attempt.failure;
  prefix->failure = failure;
  return prefix;
}

core::Result<ProjectionCursor::Step> ProjectionCursor::ApplyRecord(
    pqxx::dbtransaction& tx, const events::StoredRecord& record, const Prepared* prepared,
    const std::vector<int64_t>& next, std::optional<core::Error>& bad) {
  auto p = static_cast<size_t>(record.position.partition);
  if (record.position.partition < 0 || p >= next.size()) {
    return core::Internal("record from unknown partition " +
                          events::FormatPosition(record.position));
  }
  if (record.position.offset < next[p]) return Step::kIgnored;  // already applied
  if (record.position.offset > next[p]) {
    return core::Internal("gap in the log before " + events::FormatPosition(record.position));
  }
  if (skips_.count(record.position) != 0) return Step::kSkipped;
  if (record.decode_error) {
    bad = RecordFailure(record, "undecodable: " + record.decode_error->message);
    return Step::kBad;
  }
  core::Status applied = core::OkStatus();
  try {
    applied = prepared != nullptr ? projection_.ApplyPrepared(tx, record, prepared)
                                  : projection_.Apply(tx, record);
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    applied = pg::DbError(e, "apply");
  }
  if (applied.ok()) return Step::kApplied;
  if (IsTransient(applied.error())) return applied.error();
  bad = RecordFailure(record, applied.error().message);
  return Step::kBad;
}

core::Result<ProjectionCursor::Step> ProjectionCursor::FlushBuffered(
    pqxx::dbtransaction& tx, const events::StoredRecord& record, std::optional<core::Error>& bad) {
  core::Status flushed = core::OkStatus();
  try {
    flushed = projection_.Flush(tx);
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    flushed = pg::DbError(e, "flush");
  }
  if (flushed.ok()) return Step::kApplied;
  if (IsTransient(flushed.error())) return flushed.error();
  bad = RecordFailure(record, flushed.error().message);
  return Step::kBad;
}

// Locks this projection's checkpoint rows for the transaction and checks they are where this
// cursor believes. A second runner of the same projection waits here until the first commits,
// then sees the moved checkpoint and gives up (kAborted) before applying anything, so two
// runners never apply the same record, not even into a unique-key violation.
core::Status ProjectionCursor::LockCheckpoints(pqxx::dbtransaction& tx) {
  tx.conn().prepare(kLockStatement, kLockSql);  // once per connection; then a lookup
  auto rows = tx.exec_prepared(kLockStatement, name_);
  for (const auto& row : rows) {
    auto p = row[0].as<int32_t>();
    if (p >= 0 && p < partitions_ && row[1].as<int64_t>() != committed_[static_cast<size_t>(p)]) {
      return core::Aborted("checkpoint of " + name_ + " partition " + std::to_string(p) +
                           " was moved by another runner");
    }
  }
  return core::OkStatus();
}

// Every partition that moved, in one statement: a batch over many streams touches most
// partitions, and one UPDATE per partition was most of a batch's statements.
core::Status ProjectionCursor::AdvanceCheckpoints(pqxx::dbtransaction& tx,
                                                  const std::vector<int64_t>& next) {
  std::string partitions = "{";
  std::string targets = "{";
  std::string expected = "{";
  size_t moved = 0;
  for (size_t p = 0; p < next.size(); ++p) {
    if (next[p] == committed_[p]) continue;
    const char* sep = moved++ == 0 ? "" : ",";
    partitions += sep + std::to_string(p);
    targets += sep + std::to_string(next[p]);
    expected += sep + std::to_string(committed_[p]);
  }
  if (moved == 0) return core::OkStatus();
  tx.conn().prepare(kAdvanceStatement, kAdvanceSql);
  auto updated =
      tx.exec_prepared(kAdvanceStatement, name_, partitions + "}", targets + "}", expected + "}");
  if (updated.affected_rows() != moved) {
    return core::Aborted("checkpoint of " + name_ + " was moved by another runner");
  }
  return core::OkStatus();
}

core::Result<BatchOutcome> ProjectionCursor::ApplyOnce(
    pqxx::connection_base& conn, const std::vector<events::StoredRecord>& records, size_t limit,
    bool flush_each, Attempt& attempt) {
  BatchOutcome outcome;
  std::vector<int64_t> next = next_;
  projection_.Discard();
  auto status = pg::Guard("apply batch to " + name_, [&]() -> core::Status {
    pqxx::work tx(conn);
    SetSearchPath(tx, schema_);
    FILAMENT_RETURN_IF_ERROR(LockCheckpoints(tx));
    for (size_t i = 0; i < limit; ++i) {
      const auto& prepared = *attempt.prepared;
      auto step = ApplyRecord(tx, records[i], i < prepared.size() ? prepared[i].get() : nullptr,
                              next, attempt.failure);
      if (step.ok() && *step == Step::kApplied && flush_each) {
        step = FlushBuffered(tx, records[i], attempt.failure);
      }
      if (!step.ok()) return step.error();
      if (*step == Step::kBad) {
        attempt.failed_index = i;
        return core::OkStatus();  // rolled back; Apply retries the prefix
      }
      if (*step == Step::kIgnored) continue;
      (*step == Step::kApplied ? outcome.applied : outcome.skipped) += 1;
      next[static_cast<size_t>(records[i].position.partition)] = records[i].position.offset + 1;
    }
    if (!flush_each && limit > 0) {
      auto flushed = FlushBuffered(tx, records[limit - 1], attempt.failure);
      if (!flushed.ok()) return flushed.error();
      if (*flushed == Step::kBad) {
        attempt.flush_failed = true;
        return core::OkStatus();  // rolled back; Apply retries flushing record by record
      }
    }
    FILAMENT_RETURN_IF_ERROR(AdvanceCheckpoints(tx, next));
    tx.commit();
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  if (attempt.failure) return outcome;
  outcome.last = LastPositions(next);
  committed_ = next;
  next_ = std::move(next);
  return outcome;
}

std::vector<events::Position> ProjectionCursor::LastPositions(
    const std::vector<int64_t>& next) const {
  std::vector<events::Position> last;
  for (size_t p = 0; p < next.size(); ++p) {
    if (next[p] != next_[p]) last.push_back({static_cast<int32_t>(p), next[p] - 1});
  }
  return last;
}

std::optional<BatchOutcome> ProjectionCursor::PassIgnored(
    const std::vector<events::StoredRecord>& records) {
  std::vector<int64_t> next = next_;
  BatchOutcome outcome;
  for (const auto& record : records) {
    auto p = static_cast<size_t>(record.position.partition);
    if (record.position.partition < 0 || p >= next.size()) return std::nullopt;
    if (record.position.offset < next[p]) continue;  // already applied
    if (record.position.offset > next[p] || record.decode_error ||
        skips_.count(record.position) != 0 || !projection_.Ignores(record.record.meta)) {
      return std::nullopt;  // Apply decides (and reports a gap or a bad record)
    }
    next[p] = record.position.offset + 1;
    ++outcome.applied;
  }
  outcome.last = LastPositions(next);
  next_ = std::move(next);
  return outcome;
}

core::Status ProjectionCursor::CommitDeferred(pqxx::connection_base& conn) {
  if (!HasDeferred()) return core::OkStatus();
  auto outcome = Apply(conn, {});
  return outcome.ok() ? core::OkStatus() : outcome.error();
}

}  // namespace filament::projections
