#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Gateway v2 resume cursors (ADR 0060): "1.O0.O1…" — format version 1, then for every log
// partition the next offset not yet accounted for; "O+K" says the first K events of record O
// for this connection were delivered too (a record can yield several events). Pure.
namespace filament::gateway {

struct ResumeCursor {
  std::vector<int64_t> next;  // index = partition
  std::vector<int32_t> skip;  // same size; events of record next[p] already delivered

  bool operator==(const ResumeCursor&) const = default;
};

inline constexpr size_t kMaxCursorPartitions = 4096;

std::string FormatCursor(const ResumeCursor& cursor);
// Strict: version 1, 1..kMaxCursorPartitions fields, decimal offsets without sign or leading
// zeros (< 10^18), skips 1..65535. nullopt on anything else.
std::optional<ResumeCursor> ParseCursor(std::string_view text);
// A cursor of `partitions` partitions at `next` with no partial record.
ResumeCursor CursorAt(const std::vector<int64_t>& next);

}  // namespace filament::gateway
