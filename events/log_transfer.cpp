#include "events/log_transfer.hpp"

#include <istream>
#include <ostream>

#include "events/log_scan.hpp"

namespace filament::events {
namespace {

constexpr size_t kMaxBatchRecords = 500;
constexpr size_t kMaxBatchBytes = 4u << 20;
constexpr size_t kMaxPendingBytes = 16u << 20;  // across partitions

struct Pending {
  AppendBatch batch;
  std::vector<Position> positions;
  size_t bytes = 0;
};

// Appends the archived batches and checks each record landed where the archive says.
class Importer {
 public:
  Importer(EventLog& log, int32_t partitions, ImportProgress& progress)
      : log_(log), pending_(static_cast<size_t>(partitions)), progress_(progress) {
    progress_.written.assign(pending_.size(), 0);
  }

  core::Status Add(StoredRecord record) {
    Pending& p = pending_[static_cast<size_t>(record.position.partition)];
    const RecordMeta& m = record.record.meta;
    bool joins = !p.batch.records.empty() && p.batch.stream == m.stream &&
                 p.batch.records.back().meta.stream_version + 1 == m.stream_version &&
                 p.batch.records.size() < kMaxBatchRecords && p.bytes < kMaxBatchBytes;
    if (!p.batch.records.empty() && !joins) FILAMENT_RETURN_IF_ERROR(Flush(p));
    if (p.batch.records.empty()) {
      p.batch.stream = m.stream;
      p.batch.expected_version = m.stream_version - 1;
    }
    size_t size = record.record.payload.size() + 256;
    p.bytes += size;
    total_bytes_ += size;
    p.positions.push_back(record.position);
    p.batch.records.push_back(std::move(record.record));
    if (total_bytes_ > kMaxPendingBytes) return FlushAll();
    return core::OkStatus();
  }

  core::Status FlushAll() {
    for (auto& p : pending_) FILAMENT_RETURN_IF_ERROR(Flush(p));
    return core::OkStatus();
  }

 private:
  core::Status Flush(Pending& p) {
    if (p.batch.records.empty()) return core::OkStatus();
    auto written = log_.Append(p.batch);
    if (!written.ok()) {
      return core::MakeError(written.error().code, "appending " + p.batch.stream + " at " +
                                                       FormatPosition(p.positions.front()) + ": " +
                                                       written.error().message);
    }
    if (*written != p.positions) {
      return core::MakeError(core::ErrorCode::kFailedPrecondition,
                             "the log put " + FormatPosition(p.positions.front()) + " at " +
                                 (written->empty() ? "?" : FormatPosition(written->front())) +
                                 ": offsets differ from the archive");
    }
    progress_.written[static_cast<size_t>(p.positions.front().partition)] =
        p.positions.back().offset + 1;
    progress_.records += static_cast<int64_t>(p.positions.size());
    total_bytes_ -= p.bytes;
    p = Pending{};
    return core::OkStatus();
  }

  EventLog& log_;
  std::vector<Pending> pending_;
  ImportProgress& progress_;
  size_t total_bytes_ = 0;
};

core::Status CheckEmptyLog(EventLog& log, const ArchiveHeader& header) {
  if (log.Partitions() != header.partitions) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "the archive has " + std::to_string(header.partitions) +
                               " partitions, the log " + std::to_string(log.Partitions()));
  }
  auto ends = log.EndOffsets();
  if (!ends.ok()) return ends.error();
  for (size_t p = 0; p < ends->size(); ++p) {
    if ((*ends)[p] != 0) {
      return core::MakeError(core::ErrorCode::kFailedPrecondition,
                             "the log is not empty (partition " + std::to_string(p) + " ends at " +
                                 std::to_string((*ends)[p]) + "); import needs an empty log");
    }
  }
  return core::OkStatus();
}

}  // namespace

core::Result<ArchiveCounts> ExportLog(EventLog& log, const ExportOptions& options,
                                      std::ostream& out) {
  auto ends = log.EndOffsets();
  if (!ends.ok()) return ends.error();
  std::vector<int64_t> up_to = options.up_to.empty() ? *ends : options.up_to;
  if (up_to.size() != ends->size()) return core::InvalidArgument("--up-to: wrong partition count");
  for (size_t p = 0; p < up_to.size(); ++p) {
    if (up_to[p] < 0 || up_to[p] > (*ends)[p]) {
      return core::InvalidArgument("--up-to: partition " + std::to_string(p) + " ends at " +
                                   std::to_string((*ends)[p]));
    }
  }
  ArchiveWriter writer(out);
  FILAMENT_RETURN_IF_ERROR(writer.Begin({.partitions = log.Partitions(),
                                         .source_kind = options.source_kind,
                                         .source_name = options.source_name,
                                         .created_unix_ms = options.now_unix_ms,
                                         .end_offsets = up_to}));
  FILAMENT_RETURN_IF_ERROR(ReadLogUpTo(log, up_to, [&](const StoredRecord& r) -> core::Status {
    if (r.decode_error) {
      return core::InvalidArgument("record " + FormatPosition(r.position) + " cannot be decoded (" +
                                   r.decode_error->message +
                                   "); an archive holds exact copies only");
    }
    return writer.Add(r.position, r.record);
  }));
  return writer.Finish();
}

core::Result<ArchiveHeader> VerifyArchive(std::istream& in, ArchiveCounts& counts) {
  ArchiveReader reader(in);
  auto header = reader.ReadHeader();
  if (!header.ok()) return header.error();
  while (true) {
    auto next = reader.Next();
    if (!next.ok()) return next.error();
    if (!next->has_value()) break;
  }
  counts = reader.counts();
  return header;
}

core::Result<ArchiveCounts> ImportLog(EventLog& log, std::istream& in, ImportProgress& progress) {
  ArchiveReader reader(in);
  auto header = reader.ReadHeader();
  if (!header.ok()) return header.error();
  FILAMENT_RETURN_IF_ERROR(CheckEmptyLog(log, *header));
  progress.appending = true;
  Importer importer(log, header->partitions, progress);
  while (true) {
    auto next = reader.Next();
    if (!next.ok()) return next.error();
    if (!next->has_value()) break;
    FILAMENT_RETURN_IF_ERROR(importer.Add(std::move(**next)));
  }
  FILAMENT_RETURN_IF_ERROR(importer.FlushAll());
  return reader.counts();
}

}  // namespace filament::events
