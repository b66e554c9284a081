#include "events/log_transfer.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <istream>
#include <mutex>
#include <ostream>
#include <thread>

#include "core/thread_name.hpp"
#include "events/log_scan.hpp"

namespace filament::events {
namespace {

constexpr size_t kMaxBatchRecords = 500;
constexpr size_t kMaxBatchBytes = 4u << 20;
constexpr size_t kMaxPendingBytes = 16u << 20;  // batches being filled, across partitions
constexpr size_t kMaxQueuedBytes = 16u << 20;   // batches waiting for an appender thread
constexpr size_t kWorkers = 8;

struct Pending {
  AppendBatch batch;
  std::vector<Position> positions;
  size_t bytes = 0;
};

// Appends batches on up to kWorkers threads (the adapters coalesce concurrent appends). Every
// batch of one partition goes to the same thread, in submission order, so each partition's
// offsets come out in archive order. The first failure stops every worker; Finish (or the
// destructor) drains what was queued before it and joins.
class AppendPipeline {
 public:
  AppendPipeline(EventLog& log, size_t partitions, ImportProgress& progress)
      : log_(log), progress_(progress), queues_(std::min(partitions, kWorkers)) {
    progress_.written.assign(partitions, 0);
    for (size_t w = 0; w < queues_.size(); ++w)
      threads_.push_back(core::NamedThread("log-import", [this, w] { Run(w); }));
  }
  ~AppendPipeline() { (void)Finish(); }
  AppendPipeline(const AppendPipeline&) = delete;
  AppendPipeline& operator=(const AppendPipeline&) = delete;

  // Queues `batch`; blocks while too many bytes are queued. Returns a worker's first error.
  core::Status Submit(Pending batch) {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] {
      return !error_.ok() || queued_bytes_ == 0 || queued_bytes_ + batch.bytes <= kMaxQueuedBytes;
    });
    if (!error_.ok()) return error_;
    queued_bytes_ += batch.bytes;
    auto worker = static_cast<size_t>(batch.positions.front().partition) % queues_.size();
    queues_[worker].push_back(std::move(batch));
    work_.notify_all();
    return core::OkStatus();
  }

  core::Status Finish() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    work_.notify_all();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  void Run(size_t worker) {
    std::unique_lock lock(mu_);
    while (true) {
      work_.wait(lock, [&] { return !queues_[worker].empty() || closing_ || !error_.ok(); });
      if (!error_.ok() || queues_[worker].empty()) return;
      Pending batch = std::move(queues_[worker].front());
      queues_[worker].pop_front();
      lock.unlock();
      core::Status status = AppendOne(batch);
      lock.lock();
      queued_bytes_ -= batch.bytes;
      if (status.ok()) {
        progress_.written[static_cast<size_t>(batch.positions.front().partition)] =
            batch.positions.back().offset + 1;
        progress_.records += static_cast<int64_t>(batch.positions.size());
      } else if (error_.ok()) {
        error_ = status;
      }
      space_.notify_all();
      work_.notify_all();
    }
  }

  core::Status AppendOne(const Pending& p) {
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
    return core::OkStatus();
  }

  EventLog& log_;
  ImportProgress& progress_;
  std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable space_;
  std::vector<std::deque<Pending>> queues_;
  std::vector<std::thread> threads_;
  size_t queued_bytes_ = 0;
  bool closing_ = false;
  core::Status error_;
};

// Groups the archive's records into batches (runs of one stream in a partition) for the
// pipeline.
class Importer {
 public:
  Importer(EventLog& log, int32_t partitions, ImportProgress& progress)
      : pending_(static_cast<size_t>(partitions)),
        pipeline_(log, static_cast<size_t>(partitions), progress) {}

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

  // Submits every partial batch, waits for all appends, returns the first error.
  core::Status Finish() {
    FILAMENT_RETURN_IF_ERROR(FlushAll());
    return pipeline_.Finish();
  }

 private:
  core::Status FlushAll() {
    for (auto& p : pending_) FILAMENT_RETURN_IF_ERROR(Flush(p));
    return core::OkStatus();
  }

  core::Status Flush(Pending& p) {
    if (p.batch.records.empty()) return core::OkStatus();
    total_bytes_ -= p.bytes;
    core::Status status = pipeline_.Submit(std::move(p));
    p = Pending{};
    return status;
  }

  std::vector<Pending> pending_;
  AppendPipeline pipeline_;
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
  FILAMENT_RETURN_IF_ERROR(importer.Finish());
  return reader.counts();
}

}  // namespace filament::events
