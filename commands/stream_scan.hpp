#pragma once

#include <functional>
#include <string>

#include "core/result.hpp"
#include "events/event_log.hpp"
#include "events/generated/event_types.hpp"

namespace filament::commands {

// Reads the one partition holding `stream` up to the log's current end and calls `fn` with
// each event of `stream`, in stream order. What the command side uses to fold one stream again
// when its in-memory state may be ahead of the log (ADR 0070). Cost: the whole partition.
// Errors: the log's (kUnavailable), kInternal for an undecodable record of `stream` or a
// stream-version gap, and whatever `fn` returns.
core::Status ScanStream(events::EventLog& log, const std::string& stream,
                        const std::function<core::Status(const events::Event&)>& fn);

}  // namespace filament::commands
