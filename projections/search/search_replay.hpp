#pragma once

// The operator's tools for the search index, run beside `filament replay`:
// rebuild it from the log, and check that it equals a fresh rebuild.

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "adapters/search/search_index.hpp"
#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::projections {

struct SearchRebuildReport {
  std::string dir;         // the new live index directory
  uint64_t documents = 0;  // documents in it
  std::vector<int64_t> position;
};

// Folds the whole log (up to its end when called) into a new index generation under
// `root_dir` and makes it live; the previous generation is removed. Offline: no process may
// hold the live index. `progress` (may be empty) gets the number of records folded so far.
// Errors: kUnavailable (the live index is held by a running process, or the log is
// unreachable), kInvalidArgument (a record cannot be decoded and is not in `skips`), kInternal.
core::Result<SearchRebuildReport> RebuildSearchIndex(
    events::EventLog& log, const std::string& root_dir, const std::set<events::Position>& skips,
    const std::function<void(uint64_t)>& progress = {});

struct SearchCheckReport {
  bool equal = false;
  search::IndexDigest live;            // the live index, at its committed position
  search::IndexDigest rebuilt;         // a fresh fold of the log up to that same position
  std::vector<std::string> differing;  // message ids whose documents differ (at most 20)
};

// `replay --check` for search: folds the log up to the live index's committed position into
// `scratch_dir` (emptied first, removed after) and compares document sets and terms. Opens
// the live index read-only, so it can run beside a serving process.
// Errors: kNotFound (no live index), kUnavailable (log), kInvalidArgument (bad record), kInternal.
core::Result<SearchCheckReport> CheckSearchIndex(events::EventLog& log, const std::string& root_dir,
                                                 const std::string& scratch_dir,
                                                 const std::set<events::Position>& skips);

}  // namespace filament::projections
