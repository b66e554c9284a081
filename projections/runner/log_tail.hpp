#pragma once

#include <atomic>
#include <chrono>
#include <ostream>

#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::projections {

struct TailOptions {
  bool from_beginning = false;               // start at offset 0 instead of the current end
  bool json = false;                         // RecordToJson lines instead of RecordToLine
  std::chrono::milliseconds poll_wait{200};  // bounds how long `stop` takes to be noticed
};

// `filament log tail`: follows every partition of the log, writing one line per record to
// `out` (flushed per batch) until `stop` becomes true. Transient log errors (kUnavailable)
// are retried after a short pause.
// Errors: whatever else the log returns (kInternal, kInvalidArgument).
core::Status TailLog(events::EventLog& log, const TailOptions& options, std::ostream& out,
                     const std::atomic<bool>& stop);

}  // namespace filament::projections
