#pragma once

// Internal to the runner library: pieces shared by Replay and ReplayCheck.

#include <ostream>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"
#include "projections/projection.hpp"
#include "projections/runner/replay.hpp"

namespace filament::projections {

// The projections named in `only` (all when empty). Errors: kInvalidArgument (unknown name).
core::Result<std::vector<Projection*>> SelectProjections(
    const std::vector<Projection*>& projections, const std::vector<std::string>& only);

struct RebuildTarget {
  const ReplayOptions* options;
  std::string schema;          // empty = live tables
  std::vector<int64_t> until;  // end offsets to reach
  std::string label;           // progress line prefix: "replay" or "replay-check"
};

// Applies `projection` from its checkpoint (in target.schema) up to target.until, printing
// progress lines. Errors: as Replay.
core::Status RebuildProjection(events::EventLog& log, Projection& projection,
                               const RebuildTarget& target, std::ostream& out);

}  // namespace filament::projections
