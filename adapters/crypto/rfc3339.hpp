#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace filament::crypto {

// Unix seconds -> "YYYY-MM-DDTHH:MM:SSZ" (UTC, proleptic Gregorian). Precondition: the year is
// within 0000..9999.
std::string FormatRfc3339Utc(int64_t unix_secs);

// Strict RFC 3339 date-time -> Unix seconds: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"
// ('T'/'Z' in either case; fractions are truncated; second 60 is accepted as a leap second).
// Returns nullopt for anything else, including impossible dates such as February 30.
std::optional<int64_t> ParseRfc3339(std::string_view text);

}  // namespace filament::crypto
