#include "projections/runner/log_tail.hpp"

#include <thread>

#include "projections/runner/record_format.hpp"

namespace filament::projections {

namespace {

core::Result<std::vector<events::Position>> StartPositions(events::EventLog& log,
                                                           bool from_beginning) {
  std::vector<events::Position> start;
  for (int32_t p = 0; p < log.Partitions(); ++p) start.push_back({p, 0});
  if (from_beginning) return start;
  auto ends = log.EndOffsets();
  if (!ends.ok()) return ends.error();
  for (size_t p = 0; p < start.size() && p < ends->size(); ++p) start[p].offset = (*ends)[p];
  return start;
}

}  // namespace

core::Status TailLog(events::EventLog& log, const TailOptions& options, std::ostream& out,
                     const std::atomic<bool>& stop) {
  auto start = StartPositions(log, options.from_beginning);
  if (!start.ok()) return start.error();
  auto reader = log.OpenReader(*start);
  if (!reader.ok()) return reader.error();
  while (!stop.load()) {
    auto records = (*reader)->Poll(500, options.poll_wait);
    if (!records.ok()) {
      if (records.error().code != core::ErrorCode::kUnavailable) return records.error();
      std::this_thread::sleep_for(options.poll_wait);
      continue;
    }
    for (const auto& record : *records) {
      out << (options.json ? RecordToJson(record) : RecordToLine(record)) << '\n';
    }
    if (!records->empty()) out.flush();
  }
  return core::OkStatus();
}

}  // namespace filament::projections
