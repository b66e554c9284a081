#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "events/log_record.hpp"

namespace pqxx {
class dbtransaction;
}  // namespace pqxx

namespace filament::projections {

// What Projection::Prepare computed for one record, handed back to ApplyPrepared.
struct Prepared {
  virtual ~Prepared() = default;
};

// One read model: a fold of the log into PostgreSQL tables it alone owns.
// The runner calls Apply for every record in log order inside a transaction that also
// advances the projection's checkpoint, so each record takes effect exactly once.
class Projection {
 public:
  virtual ~Projection() = default;

  // Stable name, used for checkpoints and `--only`/`--projection` (e.g. "messages").
  virtual std::string_view Name() const = 0;

  // The tables this projection owns (unqualified), in an order in which they can be
  // truncated/copied. `replay` empties them; `replay --check` rebuilds them in a scratch
  // schema and compares them row by row with the live ones.
  virtual std::vector<std::string> Tables() const = 0;

  // Applies one record. Records of types it does not handle are ignored (return ok).
  // Must use unqualified table names (the runner sets search_path for scratch rebuilds).
  // Errors: kInvalidArgument/kInternal when the record cannot be decoded — the runner then
  // stops, naming the record's position and type, and counts it in a metric.
  virtual core::Status Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) = 0;

  // True when Apply would change nothing for any record with this metadata, whatever its
  // payload (a stream or type the read model does not follow). The live runner may then pass a
  // batch made only of such records without a transaction (ADR 0097). Must agree with Apply:
  // Apply starts by returning ok for exactly these records. The default, false, is always safe.
  virtual bool Ignores(const events::RecordMeta& meta) const {
    (void)meta;
    return false;
  }

  // Called once after the last Apply of a batch, in the same transaction, before the
  // checkpoint advances. A projection may buffer rows in Apply and write them here in one
  // statement (one round trip per batch instead of per record). An error here is localized by
  // the runner, which re-applies the batch flushing after every record.
  virtual core::Status Flush(pqxx::dbtransaction& tx) {
    (void)tx;
    return core::OkStatus();
  }

  // The rebuild fast path (ADR 0074). A projection that returns true from Prepares() has
  // Prepare called for every record on helper threads ahead of the writer, in any order and
  // concurrently: it may only do work that needs neither the database nor the projection's
  // state (decode, tokenize). The writer then calls ApplyPrepared in log order instead of
  // Apply, with what Prepare returned (possibly more than once, when a batch is retried).
  // ApplyPrepared must change the tables exactly as Apply would.
  virtual bool Prepares() const { return false; }
  virtual std::unique_ptr<Prepared> Prepare(const events::StoredRecord& record) const {
    (void)record;
    return nullptr;
  }
  virtual core::Status ApplyPrepared(pqxx::dbtransaction& tx, const events::StoredRecord& record,
                                     const Prepared* prepared) {
    (void)prepared;
    return Apply(tx, record);
  }

  // Drops anything Apply buffered: called before every batch attempt, so rows of a
  // rolled-back attempt are never written by the next one.
  virtual void Discard() {}
};

}  // namespace filament::projections
