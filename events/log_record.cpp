#include "events/log_record.hpp"

#include <charconv>

namespace filament::events {

std::string FormatPosition(const Position& position) {
  return std::to_string(position.partition) + ":" + std::to_string(position.offset);
}

std::optional<Position> ParsePosition(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= text.size()) {
    return std::nullopt;
  }
  Position p;
  auto first = text.substr(0, colon);
  auto second = text.substr(colon + 1);
  auto r1 = std::from_chars(first.data(), first.data() + first.size(), p.partition);
  auto r2 = std::from_chars(second.data(), second.data() + second.size(), p.offset);
  if (r1.ec != std::errc() || r1.ptr != first.data() + first.size()) return std::nullopt;
  if (r2.ec != std::errc() || r2.ptr != second.data() + second.size()) return std::nullopt;
  if (p.partition < 0 || p.offset < 0) return std::nullopt;
  return p;
}

int32_t PartitionFor(std::string_view stream, int32_t partitions) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : stream) {
    hash ^= c;
    hash *= 16777619u;
  }
  return partitions <= 1 ? 0 : static_cast<int32_t>(hash % static_cast<uint32_t>(partitions));
}

}  // namespace filament::events
