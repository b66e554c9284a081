#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "events/log_record.hpp"

namespace filament::projections {

// "2026-11-21T10:00:00.123Z" (UTC, milliseconds).
std::string FormatRfc3339(int64_t unix_ms);

// Parses an RFC 3339 timestamp ("2026-11-21T10:00:00Z", fractional seconds and a numeric
// offset allowed; 't'/'z' and a space separator too) or a whole number of unix seconds.
// Returns unix milliseconds. Errors: kInvalidArgument naming the text.
core::Result<int64_t> ParseTimeArgument(std::string_view text);

// One JSON object (no newline) with the fields position, time, type, stream, actor, event_id,
// correlation_id, payload (the JSON payload itself when it parses, else a string) and,
// when set, decode_error. Invalid UTF-8 is replaced, never thrown.
std::string RecordToJson(const events::StoredRecord& record);

// `text` with control characters and backslashes escaped (\n, \xNN), for one-line output.
std::string EscapeForLine(std::string_view text);

// One human-readable line: "2:1041  2026-...Z  message_posted  guild:01H...  actor=01H...  {..}"
std::string RecordToLine(const events::StoredRecord& record);

}  // namespace filament::projections
