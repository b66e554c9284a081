#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::projections {

// Which mutations `filament audit` lists. Every set field must match (AND); `types` matches
// any of its entries.
struct AuditFilter {
  std::optional<std::string> workspace;  // guild id: record stream == "guild:<id>"
  std::optional<std::string> actor;      // meta.actor_user_id
  std::vector<std::string> types;        // event wire types, e.g. "message_posted"
  std::optional<int64_t> since_unix_ms;  // inclusive (ParseTimeArgument in record_format.hpp)
  std::optional<int64_t> until_unix_ms;  // exclusive
};

enum class AuditFormat { kTable, kJsonLines };

bool AuditMatches(const AuditFilter& filter, const events::StoredRecord& record);

// Reads the whole log up to its EndOffsets() at the start, keeps the matching records, and
// writes them to `out` ordered by (time, partition, offset): either an aligned table with the
// columns POSITION TIME TYPE STREAM ACTOR EVENT_ID CORRELATION_ID PAYLOAD (payload shortened),
// or one JSON object per line (RecordToJson: position, time, type, stream, actor, event_id,
// correlation_id, payload). Returns how many records matched.
// Errors: kUnavailable (the log stayed unreachable over a few retries), kInternal.
core::Result<size_t> RunAudit(events::EventLog& log, const AuditFilter& filter, AuditFormat format,
                              std::ostream& out);

}  // namespace filament::projections
