#include "projections/search/search_replay.hpp"

#include <algorithm>

#include "projections/search/index_fold.hpp"
#include "projections/search/index_store.hpp"
#include "projections/search/search_worker.hpp"

namespace filament::projections {
namespace {

using Mode = search::SearchIndex::Mode;

constexpr size_t kBatch = 5000;
constexpr size_t kMaxReportedDifferences = 20;

bool Reached(const IndexFold& fold, const std::vector<int64_t>& until) {
  for (size_t p = 0; p < until.size(); ++p) {
    if (fold.Next()[p] < until[p]) return false;
  }
  return true;
}

core::Status CheckWithinLog(events::EventLog& log, const std::vector<int64_t>& until) {
  auto ends = log.EndOffsets();
  if (!ends.ok()) return core::Unavailable("search: log end offsets: " + ends.error().message);
  for (size_t p = 0; p < until.size(); ++p) {
    if (p >= ends->size() || until[p] > (*ends)[p]) {
      return core::MakeError(core::ErrorCode::kFailedPrecondition,
                             "search index is ahead of the log in partition " + std::to_string(p) +
                                 " (was it built from another log?)");
    }
  }
  return core::OkStatus();
}

// Folds every record below `until` into `fold` and commits exactly `until`.
core::Status FoldUntil(events::EventLog& log, IndexFold& fold, const std::vector<int64_t>& until,
                       const std::function<void(uint64_t)>& progress) {
  FILAMENT_RETURN_IF_ERROR(CheckWithinLog(log, until));
  if (Reached(fold, until)) return fold.Flush();
  auto reader = log.OpenReader(fold.StartPositions());
  if (!reader.ok()) return core::Unavailable("search: open reader: " + reader.error().message);
  uint64_t total = 0;
  while (!Reached(fold, until)) {
    auto polled = (*reader)->Poll(kBatch, std::chrono::milliseconds(200));
    if (!polled.ok()) return core::Unavailable("search: poll: " + polled.error().message);
    std::erase_if(*polled, [&](const events::StoredRecord& r) {
      return r.position.offset >= until[static_cast<size_t>(r.position.partition)];
    });
    if (polled->empty()) continue;
    auto outcome = fold.Apply(*polled, kBatch);
    if (!outcome.ok()) return outcome.error();
    if (outcome->failure) return *outcome->failure;
    total += outcome->applied;
    if (progress) progress(total);
  }
  return fold.Flush();
}

std::vector<int64_t> OrZeros(std::vector<int64_t> position, int32_t partitions) {
  if (position.empty()) position.assign(static_cast<size_t>(partitions), 0);
  return position;
}

}  // namespace

core::Result<SearchRebuildReport> RebuildSearchIndex(
    events::EventLog& log, const std::string& root_dir, const std::set<events::Position>& skips,
    const std::function<void(uint64_t)>& progress) {
  IndexStore store(root_dir);
  // Hold the live index's writer lock while rebuilding, so no server starts on it meanwhile.
  std::unique_ptr<search::SearchIndex> guard;
  if (std::string current = store.CurrentDir(); !current.empty()) {
    auto opened = search::SearchIndex::Open(current, Mode::kReadWrite);
    if (!opened.ok() && opened.error().code == core::ErrorCode::kUnavailable) {
      return core::Unavailable(opened.error().message + " (stop the server before rebuilding)");
    }
    if (opened.ok()) guard = std::move(*opened);
  }
  auto ends = log.EndOffsets();
  if (!ends.ok()) return core::Unavailable("search: log end offsets: " + ends.error().message);
  // Folded without fsync per commit, made durable once before it becomes live (ADR 0046).
  auto fresh = OpenFreshIndex(store, log.Partitions(), skips, /*fsync=*/false);
  if (!fresh.ok()) return fresh.error();
  FILAMENT_RETURN_IF_ERROR(FoldUntil(log, *fresh->fold, *ends, progress));
  FILAMENT_RETURN_IF_ERROR(fresh->handle->index().StartSyncing());
  FILAMENT_RETURN_IF_ERROR(store.SwitchTo(fresh->handle->index().Dir()));
  SearchRebuildReport report;
  report.dir = fresh->handle->index().Dir();
  report.position = fresh->handle->index().Position();
  auto count = fresh->handle->index().DocumentCount();
  if (!count.ok()) return count.error();
  report.documents = *count;
  guard.reset();
  store.RemoveStale();
  return report;
}

core::Result<SearchCheckReport> CheckSearchIndex(events::EventLog& log, const std::string& root_dir,
                                                 const std::string& scratch_dir,
                                                 const std::set<events::Position>& skips) {
  const std::string dir = IndexStore(root_dir).CurrentDir();
  if (dir.empty()) return core::NotFound("no search index under " + root_dir);
  auto live = search::SearchIndex::Open(dir, Mode::kReadOnly);
  if (!live.ok()) return live.error();
  SearchCheckReport report;
  auto live_digest = (*live)->Digest();
  if (!live_digest.ok()) return live_digest.error();
  report.live = *live_digest;

  FILAMENT_RETURN_IF_ERROR(search::RemoveIndexDir(scratch_dir));
  auto scratch = search::SearchIndex::Open(scratch_dir, Mode::kReadWrite, /*fsync=*/false);
  if (!scratch.ok()) return scratch.error();
  IndexFold fold(**scratch, log.Partitions(), skips);
  FILAMENT_RETURN_IF_ERROR(
      FoldUntil(log, fold, OrZeros(report.live.position, log.Partitions()), {}));
  auto rebuilt = (*scratch)->Digest();
  if (!rebuilt.ok()) return rebuilt.error();
  report.rebuilt = *rebuilt;
  report.equal =
      report.live.documents == report.rebuilt.documents && report.live.hash == report.rebuilt.hash;
  if (!report.equal) {
    auto differing = (*live)->DiffDocuments(**scratch, kMaxReportedDifferences);
    if (!differing.ok()) return differing.error();
    report.differing = std::move(*differing);
  }
  scratch->reset();
  FILAMENT_RETURN_IF_ERROR(search::RemoveIndexDir(scratch_dir));
  return report;
}

}  // namespace filament::projections
