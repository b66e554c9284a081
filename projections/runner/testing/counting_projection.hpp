#pragma once

// Test-only projections and helpers for the runner's tests and the kill-test child.

#include <atomic>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"
#include "projections/projection.hpp"

namespace filament::projections::testing {

// Inserts one row per record into <name>_records with the record's position as primary key (a
// double apply fails loudly with a unique violation) and bumps <name>_totals.n. Deterministic:
// every column comes from the record. Records of type "poison" fail with kInvalidArgument.
// `transient_failures` > 0 makes the next Apply calls (that many) fail with kUnavailable, after
// writing their row, to prove a failed batch is rolled back as a whole. Records whose stream
// starts with `ignored_prefix` (when set) are ignored: Projection::Ignores says so and Apply
// writes nothing for them.
class CountingProjection final : public Projection {
 public:
  explicit CountingProjection(std::string name) : name_(std::move(name)) {}
  std::string_view Name() const override { return name_; }
  std::vector<std::string> Tables() const override;
  bool Ignores(const events::RecordMeta& meta) const override {
    return !ignored_prefix.empty() && meta.stream.rfind(ignored_prefix, 0) == 0;
  }
  core::Status Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) override;

  // Creates its tables in the live (public) schema. Errors: kUnavailable, kInternal.
  core::Status CreateTables(const std::string& conninfo) const;

  std::atomic<int> transient_failures{0};
  std::atomic<int64_t> apply_calls{0};  // records not ignored
  std::string ignored_prefix;           // set before the projection runs

 private:
  std::string name_;
};

// Appends `count` single-record batches spread over `streams` streams ("<prefix><i>"), each
// with a fresh ULID event id and stream_version; `poison_every` > 0 makes every n-th record
// of type "poison". Returns the positions. Errors: whatever Append returns.
core::Result<std::vector<events::Position>> AppendRecords(events::EventLog& log, int count,
                                                          int streams, int poison_every = 0,
                                                          const std::string& prefix = "guild:s");

// Runs one SQL query returning a single integer (e.g. a count). Aborts the test on error.
int64_t QueryInt(const std::string& conninfo, const std::string& sql);
// Runs SQL statements. Aborts the test on error.
void ExecSql(const std::string& conninfo, const std::string& sql);

}  // namespace filament::projections::testing
