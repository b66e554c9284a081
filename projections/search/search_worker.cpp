#include "projections/search/search_worker.hpp"

#include <algorithm>

#include "projections/search/search_appliers.hpp"

namespace filament::projections {
namespace {

using Mode = search::SearchIndex::Mode;

core::Result<FoldedIndex> Fold(std::unique_ptr<search::SearchIndex> index, int32_t partitions,
                               const std::set<events::Position>& skips) {
  FoldedIndex folded;
  folded.handle = std::make_shared<IndexHandle>(std::move(index));
  folded.fold = std::make_unique<IndexFold>(folded.handle->index(), partitions, skips);
  return folded;
}

bool CaughtUp(const std::vector<int64_t>& shadow, const std::vector<int64_t>& live) {
  for (size_t p = 0; p < live.size(); ++p) {
    if (p >= shadow.size() || shadow[p] < live[p]) return false;
  }
  return true;
}

}  // namespace

core::Result<FoldedIndex> OpenFreshIndex(const IndexStore& store, int32_t partitions,
                                         const std::set<events::Position>& skips, bool fsync) {
  auto dir = store.PrepareNextDir();
  if (!dir.ok()) return dir.error();
  auto index = search::SearchIndex::Open(*dir, Mode::kReadWrite, fsync);
  if (!index.ok()) return index.error();
  return Fold(std::move(*index), partitions, skips);
}

core::Result<FoldedIndex> OpenLiveIndex(const IndexStore& store, int32_t partitions,
                                        const SearchProjectionOptions& options) {
  std::string dir = store.CurrentDir();
  if (!dir.empty()) {
    auto index = search::SearchIndex::Open(dir, Mode::kReadWrite, options.fsync);
    if (index.ok()) {
      store.RemoveStale();  // a rebuild that a crash interrupted
      return Fold(std::move(*index), partitions, options.skips);
    }
    // Another format, or unreadable: the index is derived data, so fold a fresh one. A lock
    // held by another process is the only reason not to start.
    if (index.error().code == core::ErrorCode::kUnavailable) return index.error();
    if (options.log) options.log("search: " + index.error().message + " (rebuilding from the log)");
  }
  auto fresh = OpenFreshIndex(store, partitions, options.skips, options.fsync);
  if (!fresh.ok()) return fresh.error();
  FILAMENT_RETURN_IF_ERROR(store.SwitchTo(fresh->handle->index().Dir()));
  store.RemoveStale();
  return fresh;
}

bool SearchProjection::Worker::CrashHookFires(const std::vector<events::StoredRecord>& records) {
  const auto& hook = owner.options_.crash_before_commit;
  if (!hook || !hook(live_batches)) return false;
  // Apply the batch without committing, then stop: the index is left as a crash leaves it.
  for (const auto& record : records) (void)ApplyToSearchIndex(live.handle->index(), record);
  return true;
}

core::Result<FoldOutcome> SearchProjection::Worker::PollAndApply(FoldedIndex& folded, size_t batch,
                                                                 size_t commit_every,
                                                                 std::chrono::milliseconds wait) {
  if (!folded.reader) {
    auto reader = owner.log_.OpenReader(folded.fold->StartPositions());
    if (!reader.ok()) return core::Unavailable("search: open reader: " + reader.error().message);
    folded.reader = std::move(*reader);
  }
  auto polled = folded.reader->Poll(batch, wait);
  if (!polled.ok()) return core::Unavailable("search: poll: " + polled.error().message);
  folded.full_poll = polled->size() >= batch;
  if (polled->empty()) return FoldOutcome{};
  if (&folded == &live && CrashHookFires(*polled)) {
    owner.stop_ = true;
    return core::Aborted("search: crash_before_commit hook fired");
  }
  return folded.fold->Apply(*polled, commit_every);
}

core::Status SearchProjection::Worker::Step() {
  if (shadow) FILAMENT_RETURN_IF_ERROR(StepShadow());
  const auto& o = owner.options_;
  const std::vector<int64_t> before = live.fold->Next();
  auto wait = shadow ? std::chrono::milliseconds(0) : o.poll_wait;
  auto batch = live.full_poll ? o.rebuild_batch_size : o.batch_size;
  auto outcome = PollAndApply(live, batch, o.idle_commit_every, wait);
  if (!outcome.ok()) {
    live.reader.reset();
    return outcome.error();
  }
  if (outcome->applied > 0) ++live_batches;
  Report(before);
  if (outcome->failure) return *outcome->failure;
  return core::OkStatus();
}

core::Status SearchProjection::Worker::StepShadow() {
  const auto& o = owner.options_;
  auto outcome = PollAndApply(*shadow, o.rebuild_batch_size, o.rebuild_batch_size,
                              std::chrono::milliseconds(0));
  core::Status status = outcome.ok() ? core::OkStatus() : core::Status(outcome.error());
  if (outcome.ok() && outcome->failure) status = *outcome->failure;
  if (!status.ok()) {
    // The live index stays; the live fold will meet the same record and report it.
    EndRebuild(status);
    return core::OkStatus();
  }
  if (CaughtUp(shadow->fold->Next(), live.fold->Next())) return SwitchToShadow();
  return core::OkStatus();
}

core::Status SearchProjection::Worker::SwitchToShadow() {
  FILAMENT_RETURN_IF_ERROR(shadow->fold->Flush());
  // Folded without fsync (not live, a crash discards it): durable before it becomes live.
  if (owner.options_.fsync) {
    if (auto synced = shadow->handle->index().StartSyncing(); !synced.ok()) {
      EndRebuild(synced);  // the live index stays
      return core::OkStatus();
    }
  }
  FILAMENT_RETURN_IF_ERROR(store.SwitchTo(shadow->handle->index().Dir()));
  const std::vector<int64_t> before = live.fold->Next();
  live.handle->Retire();
  {
    std::lock_guard lock(owner.mu_);
    owner.live_ = shadow->handle;
    owner.state_.rebuilding = false;
  }
  live = std::move(*shadow);
  shadow.reset();
  Report(before);
  for (auto& waiter : rebuild_waiters) waiter->set_value(core::OkStatus());
  rebuild_waiters.clear();
  if (owner.options_.log) owner.options_.log("search: rebuilt index is live");
  return core::OkStatus();
}

void SearchProjection::Worker::StartRebuild(std::shared_ptr<std::promise<core::Status>> done) {
  rebuild_waiters.push_back(std::move(done));
  if (shadow) return;
  // No fsync per commit while folding: SwitchToShadow makes it durable once (ADR 0046).
  auto fresh = OpenFreshIndex(store, owner.log_.Partitions(), owner.options_.skips,
                              /*fsync=*/false);
  if (!fresh.ok()) {
    EndRebuild(fresh.error());
    return;
  }
  shadow = std::move(*fresh);
  shadow->full_poll = true;
  std::lock_guard lock(owner.mu_);
  owner.state_.rebuilding = true;
}

void SearchProjection::Worker::EndRebuild(const core::Status& status) {
  if (shadow) {
    shadow->handle->Retire();
    shadow.reset();
  }
  for (auto& waiter : rebuild_waiters) waiter->set_value(status);
  rebuild_waiters.clear();
  std::lock_guard lock(owner.mu_);
  owner.state_.rebuilding = false;
}

void SearchProjection::Worker::Report(const std::vector<int64_t>& before) {
  if (owner.observer_ == nullptr) return;
  for (const auto& position : Advanced(before, live.fold->Next())) {
    owner.observer_->OnApplied(kSearchProjectionName, position);
  }
}

core::Result<ReconcileResult> SearchProjection::Worker::Reconcile(
    const std::string& guild_id, const ExpectedMessagesLoader& load, size_t max_docs) {
  FILAMENT_RETURN_IF_ERROR(live.fold->Flush());
  auto indexed = live.handle->index().GuildMessageIds(guild_id, max_docs);
  if (!indexed.ok()) return indexed.error();
  auto expected = load(live.fold->Next());
  if (!expected.ok()) return expected.error();
  if (expected->size() > max_docs) {
    return core::MakeError(core::ErrorCode::kResourceExhausted,
                           "guild has more than " + std::to_string(max_docs) + " messages");
  }
  auto result = ApplyReconcile(guild_id, *indexed, *expected);
  if (!result.ok()) live.fold->Reset();
  return result;
}

core::Result<ReconcileResult> SearchProjection::Worker::ApplyReconcile(
    const std::string& guild_id, const std::vector<std::string>& indexed,
    const std::vector<search::MessageDoc>& expected) {
  search::SearchIndex& index = live.handle->index();
  ReconcileResult result;
  std::set<std::string> wanted;
  for (const auto& doc : expected) {
    if (doc.guild_id != guild_id) continue;  // not this guild's: not ours to add
    wanted.insert(doc.message_id);
    if (std::binary_search(indexed.begin(), indexed.end(), doc.message_id)) continue;
    FILAMENT_RETURN_IF_ERROR(index.Upsert(doc));
    ++result.upserted;
  }
  for (const auto& id : indexed) {
    if (wanted.count(id) > 0) continue;
    auto removed = index.Remove(id);
    if (!removed.ok()) return removed.error();
    ++result.deleted;
  }
  FILAMENT_RETURN_IF_ERROR(index.Commit(live.fold->Next()));
  return result;
}

}  // namespace filament::projections
