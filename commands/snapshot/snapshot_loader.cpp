#include "commands/snapshot/snapshot_loader.hpp"

#include <chrono>
#include <memory>
#include <string>

#include "commands/snapshot/snapshot_codec.hpp"
#include "events/log_scan.hpp"

namespace filament::commands::snapshot {
namespace {

// Whether the record before `fold.ends` in each partition has the id the snapshot recorded.
core::Status CheckLastEvents(events::EventLog& log, const CommandFold& fold) {
  std::vector<events::Position> start;
  size_t awaited = 0;
  for (size_t p = 0; p < fold.ends.size(); ++p) {
    start.push_back({static_cast<int32_t>(p), std::max<int64_t>(0, fold.ends[p] - 1)});
    if (fold.ends[p] > 0) ++awaited;
  }
  if (awaited == 0) return core::OkStatus();
  auto reader = log.OpenReader(start);
  if (!reader.ok()) return reader.error();
  std::vector<bool> seen(fold.ends.size(), false);
  for (int polls = 0; awaited > 0 && polls < 50; ++polls) {
    auto records = (*reader)->Poll(fold.ends.size(), std::chrono::milliseconds(100));
    if (!records.ok()) return records.error();
    for (const auto& r : *records) {
      const auto p = static_cast<size_t>(r.position.partition);
      if (p >= seen.size() || seen[p] || fold.ends[p] == 0) continue;
      seen[p] = true;
      --awaited;
      if (r.position.offset != fold.ends[p] - 1 ||
          r.record.meta.event_id != fold.last_event_ids[p]) {
        return core::MakeError(
            core::ErrorCode::kFailedPrecondition,
            "partition " + std::to_string(p) + " holds other records than the snapshot folded");
      }
    }
  }
  if (awaited > 0) return core::Unavailable("the snapshot's last records could not be read");
  return core::OkStatus();
}

int64_t MsSince(std::chrono::steady_clock::time_point& since) {
  const auto now = std::chrono::steady_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - since).count();
  since = now;
  return ms;
}

// `timing` gets where the load's time went ("read N ms, decoded N ms, checked N ms").
core::Result<std::unique_ptr<CommandFold>> TryLoad(SnapshotStore& store, events::EventLog& log,
                                                   const SnapshotStore::Entry& entry,
                                                   const std::vector<int64_t>& log_ends,
                                                   std::string& timing) {
  if (entry.ends.size() != log_ends.size()) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "snapshot of another partition count");
  }
  for (size_t p = 0; p < log_ends.size(); ++p) {
    if (entry.ends[p] > log_ends[p]) {
      return core::MakeError(core::ErrorCode::kFailedPrecondition,
                             "snapshot beyond the end of partition " + std::to_string(p));
    }
  }
  auto since = std::chrono::steady_clock::now();
  auto bytes = store.Load(entry.id);
  if (!bytes.ok()) return bytes.error();
  timing = "read " + std::to_string(MsSince(since)) + " ms";
  auto fold = DecodeSnapshot(std::make_shared<const std::string>(std::move(*bytes)),
                             static_cast<int32_t>(log_ends.size()));
  if (!fold.ok()) return fold.error();
  timing += ", decoded " + std::to_string(MsSince(since)) + " ms";
  if ((*fold)->ends != entry.ends) return core::InvalidArgument("snapshot position mismatch");
  FILAMENT_RETURN_IF_ERROR(CheckLastEvents(log, **fold));
  timing += ", checked " + std::to_string(MsSince(since)) + " ms";
  return fold;
}

}  // namespace

std::unique_ptr<CommandFold> LoadNewestSnapshot(SnapshotStore* store, events::EventLog& log,
                                                const std::vector<int64_t>& log_ends,
                                                const LogLine& line) {
  const auto partitions = static_cast<int32_t>(log_ends.size());
  if (store == nullptr) return std::make_unique<CommandFold>(partitions);
  auto entries = store->List();
  if (!entries.ok()) {
    line("snapshot: cannot list snapshots (" + entries.error().message +
         "); folding the log from 0");
    return std::make_unique<CommandFold>(partitions);
  }
  for (const auto& entry : *entries) {
    std::string timing;
    auto fold = TryLoad(*store, log, entry, log_ends, timing);
    if (fold.ok()) {
      line("snapshot: loaded snapshot " + std::to_string(entry.id) + " (" +
           std::to_string(entry.size_bytes) + " bytes: " + timing + ")");
      return std::move(*fold);
    }
    line("snapshot: ignoring snapshot " + std::to_string(entry.id) + ": " + fold.error().message);
  }
  return std::make_unique<CommandFold>(partitions);
}

core::Status FoldTail(events::EventLog& log, CommandFold& fold, const std::vector<int64_t>& ends) {
  const std::vector<int64_t> from = fold.ends;
  return events::ReadLogFromUpTo(
      log, from, ends, [&fold](const events::StoredRecord& stored) { return fold.Fold(stored); });
}

}  // namespace filament::commands::snapshot
