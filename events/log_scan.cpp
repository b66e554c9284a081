#include "events/log_scan.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace filament::events {
namespace {

constexpr int kRetries = 5;

bool Done(const std::vector<int64_t>& next, const std::vector<int64_t>& ends) {
  for (size_t p = 0; p < ends.size(); ++p) {
    if (next[p] < ends[p]) return false;
  }
  return true;
}

}  // namespace

core::Status ReadLogUpTo(EventLog& log, const std::vector<int64_t>& ends,
                         const std::function<core::Status(const StoredRecord&)>& fn) {
  return ReadLogFromUpTo(log, std::vector<int64_t>(ends.size(), 0), ends, fn);
}

core::Status ReadLogFromUpTo(EventLog& log, const std::vector<int64_t>& from,
                             const std::vector<int64_t>& ends,
                             const std::function<core::Status(const StoredRecord&)>& fn) {
  using namespace std::chrono_literals;
  if (from.size() != ends.size()) return core::InvalidArgument("from and ends differ in size");
  std::vector<int64_t> next = from;
  if (Done(next, ends)) return core::OkStatus();
  std::vector<Position> start;
  for (size_t p = 0; p < ends.size(); ++p) start.push_back({static_cast<int32_t>(p), from[p]});
  auto reader = log.OpenReader(start);
  if (!reader.ok()) return reader.error();
  int failures = 0;
  while (!Done(next, ends)) {
    auto records = (*reader)->Poll(1000, 200ms);
    if (!records.ok()) {
      if (records.error().code != core::ErrorCode::kUnavailable || ++failures > kRetries) {
        return records.error();
      }
      std::this_thread::sleep_for(100ms * failures);
      continue;
    }
    failures = 0;
    for (const auto& record : *records) {
      auto p = static_cast<size_t>(record.position.partition);
      if (p >= ends.size() || record.position.offset >= ends[p]) continue;
      next[p] = record.position.offset + 1;
      FILAMENT_RETURN_IF_ERROR(fn(record));
    }
    // A partition may end in offsets without records (Kafka's transaction markers).
    for (size_t p = 0; p < ends.size(); ++p) {
      next[p] = std::max(next[p], (*reader)->NextOffset(static_cast<int32_t>(p)));
    }
  }
  return core::OkStatus();
}

}  // namespace filament::events
