#include "commands/stream_scan.hpp"

#include <algorithm>
#include <chrono>

namespace filament::commands {

namespace {

core::Status FoldOne(const events::StoredRecord& stored, int64_t& version,
                     const std::function<core::Status(const events::Event&)>& fn) {
  const auto& meta = stored.record.meta;
  const std::string where =
      " at " + events::FormatPosition(stored.position) + " (" + meta.type + ")";
  if (stored.decode_error) {
    return core::Internal("undecodable log record" + where + ": " + stored.decode_error->message);
  }
  if (meta.stream_version != version + 1) {
    return core::Internal("stream version gap in " + meta.stream + where);
  }
  auto event = events::DecodeEvent(meta.type, meta.schema_version, stored.record.payload);
  if (!event.ok())
    return core::Internal("undecodable event" + where + ": " + event.error().message);
  ++version;
  return fn(*event);
}

}  // namespace

core::Status ScanStream(events::EventLog& log, const std::string& stream,
                        const std::function<core::Status(const events::Event&)>& fn) {
  const int32_t partition = events::PartitionFor(stream, log.Partitions());
  auto ends = log.EndOffsets();
  if (!ends.ok()) return ends.error();
  const int64_t end = ends->at(static_cast<size_t>(partition));
  auto reader = log.OpenReader({events::Position{partition, 0}});
  if (!reader.ok()) return reader.error();
  int64_t next = 0;
  int64_t version = 0;
  int idle_polls = 0;
  while (next < end) {
    auto records = (*reader)->Poll(4096, std::chrono::milliseconds(200));
    if (!records.ok()) return records.error();
    if (records->empty() && ++idle_polls > 50) {
      return core::Unavailable("log stopped short of its end while folding " + stream);
    }
    for (const auto& stored : *records) {
      if (stored.position.offset >= end) return core::OkStatus();
      next = stored.position.offset + 1;
      if (stored.record.meta.stream != stream) continue;
      FILAMENT_RETURN_IF_ERROR(FoldOne(stored, version, fn));
    }
    next = std::max(next, (*reader)->NextOffset(partition));  // past trailing markers (Kafka)
  }
  return core::OkStatus();
}

}  // namespace filament::commands
