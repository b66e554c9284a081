#include "projections/runner/record_format.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>

#include <nlohmann/json.hpp>

namespace filament::projections {

namespace {

// Reads exactly `digits` decimal digits at text[*at]; advances *at.
bool ReadDigits(std::string_view text, size_t* at, size_t digits, int* out) {
  if (*at + digits > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = text[*at + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *at += digits;
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t* at, std::string_view allowed) {
  if (*at >= text.size() || allowed.find(text[*at]) == std::string_view::npos) return false;
  ++*at;
  return true;
}

// Fractional seconds "[.ddd...]" → milliseconds (extra digits truncated).
bool ReadFraction(std::string_view text, size_t* at, int64_t* ms) {
  *ms = 0;
  if (*at >= text.size() || text[*at] != '.') return true;
  ++*at;
  size_t start = *at;
  int64_t scale = 100;
  while (*at < text.size() && text[*at] >= '0' && text[*at] <= '9') {
    *ms += (text[*at] - '0') * scale;
    scale /= 10;
    ++*at;
  }
  return *at > start;
}

// "Z" or "+HH:MM" / "-HH:MM" → offset in seconds east of UTC.
bool ReadOffset(std::string_view text, size_t* at, int64_t* offset_secs) {
  if (Expect(text, at, "Zz")) {
    *offset_secs = 0;
    return true;
  }
  if (*at >= text.size() || (text[*at] != '+' && text[*at] != '-')) return false;
  int sign = text[*at] == '-' ? -1 : 1;
  ++*at;
  int hours = 0, minutes = 0;
  if (!ReadDigits(text, at, 2, &hours) || !Expect(text, at, ":") ||
      !ReadDigits(text, at, 2, &minutes) || hours > 23 || minutes > 59) {
    return false;
  }
  *offset_secs = sign * (hours * 3600 + minutes * 60);
  return true;
}

std::optional<int64_t> ParseRfc3339(std::string_view text) {
  std::tm tm{};
  size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, &at, 4, &year) || !Expect(text, &at, "-") ||
      !ReadDigits(text, &at, 2, &month) || !Expect(text, &at, "-") ||
      !ReadDigits(text, &at, 2, &day) || !Expect(text, &at, "Tt ") ||
      !ReadDigits(text, &at, 2, &hour) || !Expect(text, &at, ":") ||
      !ReadDigits(text, &at, 2, &minute) || !Expect(text, &at, ":") ||
      !ReadDigits(text, &at, 2, &second)) {
    return std::nullopt;
  }
  int64_t ms = 0, offset = 0;
  if (!ReadFraction(text, &at, &ms) || !ReadOffset(text, &at, &offset) || at != text.size()) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return (static_cast<int64_t>(timegm(&tm)) - offset) * 1000 + ms;
}

}  // namespace

std::string FormatRfc3339(int64_t unix_ms) {
  auto secs = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  int64_t millis = unix_ms - static_cast<int64_t>(secs) * 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

core::Result<int64_t> ParseTimeArgument(std::string_view text) {
  if (text.empty() || text.size() > 64) return core::InvalidArgument("bad time: empty or too long");
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (seconds < 0 || seconds > 253402300799) {
      return core::InvalidArgument("unix seconds out of range: " + std::string(text));
    }
    return seconds * 1000;
  }
  auto parsed = ParseRfc3339(text);
  if (!parsed) {
    return core::InvalidArgument("bad time '" + std::string(text) +
                                 "': expected RFC 3339 (2026-11-21T10:00:00Z) or unix seconds");
  }
  return *parsed;
}

std::string RecordToJson(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  nlohmann::ordered_json out;
  out["position"] = events::FormatPosition(record.position);
  out["time"] = FormatRfc3339(meta.time_unix_ms);
  out["type"] = meta.type;
  out["stream"] = meta.stream;
  out["stream_version"] = meta.stream_version;
  out["actor"] = meta.actor_user_id;
  out["event_id"] = meta.event_id;
  out["correlation_id"] = meta.correlation_id;
  auto payload = nlohmann::ordered_json::parse(record.record.payload, nullptr, false);
  if (payload.is_discarded()) {
    out["payload"] = record.record.payload;
  } else {
    out["payload"] = std::move(payload);
  }
  if (record.decode_error) out["decode_error"] = record.decode_error->message;
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string EscapeForLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string RecordToLine(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  std::string line = events::FormatPosition(record.position) + "  " +
                     FormatRfc3339(meta.time_unix_ms) + "  " + EscapeForLine(meta.type) + "  " +
                     EscapeForLine(meta.stream);
  if (!meta.actor_user_id.empty()) line += "  actor=" + EscapeForLine(meta.actor_user_id);
  if (record.decode_error) line += "  decode_error=" + EscapeForLine(record.decode_error->message);
  line += "  " + EscapeForLine(record.record.payload);
  return line;
}

}  // namespace filament::projections
