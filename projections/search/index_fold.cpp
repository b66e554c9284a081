#include "projections/search/index_fold.hpp"

#include "projections/search/search_appliers.hpp"

namespace filament::projections {
namespace {

std::vector<int64_t> CommittedNext(const search::SearchIndex& index, int32_t partitions) {
  auto position = index.Position();
  // A new index, or one written for another partition count: fold from the start (records
  // are idempotent, so refolding over existing documents converges to the same index).
  if (position.size() != static_cast<size_t>(partitions)) {
    return std::vector<int64_t>(static_cast<size_t>(partitions), 0);
  }
  return position;
}

}  // namespace

IndexFold::IndexFold(search::SearchIndex& index, int32_t partitions,
                     std::set<events::Position> skips)
    : index_(index),
      partitions_(partitions),
      skips_(std::move(skips)),
      next_(CommittedNext(index, partitions)) {}

std::vector<events::Position> IndexFold::StartPositions() const {
  std::vector<events::Position> start;
  for (int32_t p = 0; p < partitions_; ++p) start.push_back({p, next_[static_cast<size_t>(p)]});
  return start;
}

core::Result<IndexFold::Step> IndexFold::ApplyOne(const events::StoredRecord& record,
                                                  std::optional<core::Error>& bad) {
  const auto& pos = record.position;
  if (pos.partition < 0 || pos.partition >= partitions_) {
    return core::Internal("search: record at " + events::FormatPosition(pos) +
                          " is outside the log's partitions");
  }
  int64_t& next = next_[static_cast<size_t>(pos.partition)];
  if (pos.offset < next) return Step::kAlreadyApplied;
  if (pos.offset > next) {
    return core::Internal("search: gap in the log before " + events::FormatPosition(pos));
  }
  if (skips_.count(pos) > 0 || !SearchHandles(record.record.meta.type)) {
    ++next;
    return Step::kPassed;
  }
  auto status = ApplyToSearchIndex(index_, record);
  if (!status.ok()) {
    if (status.error().code != core::ErrorCode::kInvalidArgument) return status.error();
    bad = status.error();
    return Step::kFailed;
  }
  ++next;
  return Step::kChanged;
}

core::Result<FoldOutcome> IndexFold::Apply(const std::vector<events::StoredRecord>& records,
                                           size_t commit_every, bool force_commit) {
  FoldOutcome outcome;
  bool changed = false;
  for (const auto& record : records) {
    auto step = ApplyOne(record, outcome.failure);
    if (!step.ok()) {
      Reset();
      return step.error();
    }
    if (*step == Step::kFailed) break;
    if (*step == Step::kAlreadyApplied) continue;
    changed = changed || *step == Step::kChanged;
    ++outcome.applied;
    ++uncommitted_;
  }
  if (changed || force_commit || outcome.failure || uncommitted_ >= commit_every) {
    auto status = Flush();
    if (!status.ok()) {
      Reset();
      return status.error();
    }
    outcome.committed = true;
  }
  return outcome;
}

core::Status IndexFold::Flush() {
  if (uncommitted_ == 0 && index_.Position() == next_) return core::OkStatus();
  FILAMENT_RETURN_IF_ERROR(index_.Commit(next_));
  uncommitted_ = 0;
  return core::OkStatus();
}

void IndexFold::Reset() {
  index_.Discard();
  next_ = CommittedNext(index_, partitions_);
  uncommitted_ = 0;
}

std::vector<events::Position> Advanced(const std::vector<int64_t>& before,
                                       const std::vector<int64_t>& after) {
  std::vector<events::Position> moved;
  for (size_t p = 0; p < after.size(); ++p) {
    int64_t was = p < before.size() ? before[p] : 0;
    if (after[p] > was) moved.push_back({static_cast<int32_t>(p), after[p] - 1});
  }
  return moved;
}

}  // namespace filament::projections
