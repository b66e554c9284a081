#pragma once

// Internal to projections/search: the worker thread behind SearchProjection.

#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "projections/search/index_fold.hpp"
#include "projections/search/index_store.hpp"
#include "projections/search/search_projection.hpp"

namespace filament::projections {

// An index being folded from the log by the worker: the live one, or a rebuild's shadow.
struct FoldedIndex {
  std::shared_ptr<IndexHandle> handle;
  std::unique_ptr<IndexFold> fold;
  std::unique_ptr<events::LogReader> reader;
  bool full_poll = false;  // the last poll filled its batch: more is waiting (catch up faster)
};

struct SearchProjection::Worker {
  Worker(SearchProjection& owner, FoldedIndex live)
      : owner(owner), store(owner.options_.root_dir), live(std::move(live)) {}

  // The loop body; errors as Run handles them (kInvalidArgument = a bad record: stop).
  core::Status Step();
  // Starts a rebuild (unless one runs) and registers `done` for its end.
  void StartRebuild(std::shared_ptr<std::promise<core::Status>> done);
  core::Result<ReconcileResult> Reconcile(const std::string& guild_id,
                                          const ExpectedMessagesLoader& load, size_t max_docs);
  // Ends a running rebuild with `status` (the waiters learn it).
  void EndRebuild(const core::Status& status);
  // Reports the live fold's progress since `before` to the observer.
  void Report(const std::vector<int64_t>& before);

  SearchProjection& owner;
  IndexStore store;
  FoldedIndex live;
  std::optional<FoldedIndex> shadow;
  std::vector<std::shared_ptr<std::promise<core::Status>>> rebuild_waiters;
  uint64_t live_batches = 0;

 private:
  core::Status StepShadow();
  core::Status SwitchToShadow();
  // Polls and applies one batch; `wait` 0 when other work is pending.
  core::Result<FoldOutcome> PollAndApply(FoldedIndex& folded, size_t batch, size_t commit_every,
                                         std::chrono::milliseconds wait);
  bool CrashHookFires(const std::vector<events::StoredRecord>& records);
  core::Result<ReconcileResult> ApplyReconcile(const std::string& guild_id,
                                               const std::vector<std::string>& indexed,
                                               const std::vector<search::MessageDoc>& expected);
};

// Opens (or creates) the live index under `store` and its fold from its committed position.
core::Result<FoldedIndex> OpenLiveIndex(const IndexStore& store, int32_t partitions,
                                        const SearchProjectionOptions& options);

// Opens a fresh next-generation index under `store` (not live until SwitchTo).
core::Result<FoldedIndex> OpenFreshIndex(const IndexStore& store, int32_t partitions,
                                         const std::set<events::Position>& skips, bool fsync);

}  // namespace filament::projections
