#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace filament::app {

// The process's operational log on stderr (ADR 0076): one line per request and per notable
// event (start, ready, drain, projection errors). FILAMENT_LOG_FORMAT=json (the default) writes
// one JSON object per line {"ts":RFC 3339 UTC,"level":..,"event":..,...fields};
// text writes `filament: event k=v ...`. Thread-safe; lines are whole and in order. Info lines
// reach stderr within ~10 ms (buffered, ADR 0103), other levels at once; FlushLog() writes
// what is buffered (also done at exit).
enum class LogFormat { kJson, kText };
bool ParseLogFormat(std::string_view text, LogFormat& out);
void SetLogFormat(LogFormat format);
void FlushLog();

using LogValue = std::variant<std::string, int64_t, double, bool>;
using LogField = std::pair<const char*, LogValue>;
void LogEvent(std::string_view level, std::string_view event,
              std::initializer_list<LogField> fields);
// A free-text line from a component (projection runner, presence, search): event `message`
// with field `text`, level `warn` when it says it failed.
void LogMessage(std::string_view component, const std::string& text);

}  // namespace filament::app
