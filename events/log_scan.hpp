#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::events {

// Reads every record below `ends` (index = partition; e.g. EventLog::EndOffsets()) and calls
// `fn` for each, partitions interleaved, each partition in offset order. Retries transient
// (kUnavailable) read errors a few times with a short back-off. Stops at the first error `fn`
// returns and returns it. Used by the command side's start-up fold, audit and export.
core::Status ReadLogUpTo(EventLog& log, const std::vector<int64_t>& ends,
                         const std::function<core::Status(const StoredRecord&)>& fn);

// The same for the records in [from[p], ends[p]) of each partition (a snapshot's tail).
core::Status ReadLogFromUpTo(EventLog& log, const std::vector<int64_t>& from,
                             const std::vector<int64_t>& ends,
                             const std::function<core::Status(const StoredRecord&)>& fn);

}  // namespace filament::events
