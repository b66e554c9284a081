#pragma once

// Internal to projections/search: folds log records into one SearchIndex, committing the
// documents and the position together.

#include <optional>
#include <set>
#include <vector>

#include "adapters/search/search_index.hpp"
#include "core/result.hpp"
#include "events/log_record.hpp"

namespace filament::projections {

struct FoldOutcome {
  size_t applied = 0;  // records applied (or passed: other types, operator skips)
  bool committed = false;
  // A record that cannot be applied: every record before it was committed; the position stops
  // on it (kInvalidArgument naming position and type).
  std::optional<core::Error> failure;
};

// Not thread-safe: one thread owns a fold and its index's write side.
class IndexFold {
 public:
  // `skips`: records an operator decided to pass (projection_skips for "search").
  IndexFold(search::SearchIndex& index, int32_t partitions, std::set<events::Position> skips = {});

  // Next offset to apply per partition; starts at the index's committed position.
  const std::vector<int64_t>& Next() const { return next_; }
  std::vector<events::Position> StartPositions() const;
  // Records applied (in memory) but whose position is not yet committed.
  size_t Uncommitted() const { return uncommitted_; }

  // Applies `records` (from a reader opened at StartPositions; those below Next are ignored).
  // Commits when a record changed the index, when `commit_every` records have gone
  // uncommitted, or always with `force_commit`; otherwise only Next advances (records that
  // touch nothing need no fsync: after a crash they are read again, to the same effect).
  // Errors (nothing of this call is kept; call Reset before going on): kInternal (a gap in the
  // offsets, or the index could not be written).
  core::Result<FoldOutcome> Apply(const std::vector<events::StoredRecord>& records,
                                  size_t commit_every, bool force_commit = false);
  // Commits Next unless it is the index's committed position already.
  core::Status Flush();
  // Drops uncommitted changes and goes back to the index's committed position.
  void Reset();

 private:
  enum class Step { kAlreadyApplied, kPassed, kChanged, kFailed };
  core::Result<Step> ApplyOne(const events::StoredRecord& record, std::optional<core::Error>& bad);

  search::SearchIndex& index_;
  int32_t partitions_;
  std::set<events::Position> skips_;
  std::vector<int64_t> next_;
  size_t uncommitted_ = 0;
};

// Positions of the last applied record per partition that moved from `before` to `after`.
std::vector<events::Position> Advanced(const std::vector<int64_t>& before,
                                       const std::vector<int64_t>& after);

}  // namespace filament::projections
