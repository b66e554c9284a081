#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "adapters/search/search_index.hpp"
#include "core/result.hpp"
#include "events/event_log.hpp"
#include "projections/runner/applied_positions.hpp"

namespace filament::projections {

class IndexHandle;

// The name the search projection reports to AppliedObserver (read-your-writes waits on it).
inline constexpr std::string_view kSearchProjectionName = "search";

struct SearchProjectionOptions {
  std::string root_dir;              // the index lives here (see index_store.hpp)
  size_t batch_size = 128;           // records per poll and commit (SEARCH_WORKER_BATCH_LIMIT)
  size_t rebuild_batch_size = 5000;  // records per poll and commit while (re)building
  // Records that change nothing are committed at least this often (bounds re-reading after a
  // restart; read-your-writes does not wait for it).
  size_t idle_commit_every = 10'000;
  std::chrono::milliseconds poll_wait{200};  // also bounds how long Stop() waits
  std::chrono::milliseconds min_backoff{50};
  std::chrono::milliseconds max_backoff{5000};
  // Commits of the live index wait for the disk (see SearchIndex::Open). Off: 0.5-4 ms instead
  // of ~20-30 ms per commit (what a message POST waits for read-your-writes), still
  // exactly-once across process crashes; an OS crash may then cost a rebuild from the log.
  bool fsync = true;
  std::set<events::Position> skips;  // records the operator decided to pass (projection_skips)
  std::function<void(const std::string&)> log;  // progress problems, one line each; may be empty
  // Test hook: called before each commit of the live index with the batch number (from 0);
  // returning true abandons the batch uncommitted and stops the worker, as a crash would.
  std::function<bool(uint64_t batch)> crash_before_commit;
};

struct ReconcileResult {
  uint64_t upserted = 0;
  uint64_t deleted = 0;
};

// Loads what the index should hold for one guild from the messages read model. Called on the
// worker thread with the index's position (next offset per partition); it must read a state
// at or after that position (wait for the messages projection to reach it), so nothing the
// index already applied looks like an orphan. Errors are passed to Reconcile's caller.
using ExpectedMessagesLoader = std::function<core::Result<std::vector<search::MessageDoc>>(
    const std::vector<int64_t>& index_next)>;

// The search index as a projection of the log: one worker thread follows the log from the
// position stored in the index's own metadata and applies message events in batches, each
// batch committed with its position in one Xapian commit, so a crash at any moment neither
// loses nor doubles an update (docs/adr/0016-search-index.md).
//
// After each commit it tells `observer` what it applied (name kSearchProjectionName), so a
// mutation can answer after its message is findable. A record that cannot be decoded stops
// the worker (Status() says which); transient log or disk errors are retried with backoff.
//
// One process per index directory (Xapian allows one writer). Start/Stop, Query, Position,
// Status, Rebuild and Reconcile are thread-safe. The log and the observer must outlive this.
class SearchProjection {
 public:
  SearchProjection(events::EventLog& log, SearchProjectionOptions options,
                   AppliedObserver* observer = nullptr);
  ~SearchProjection();  // Stop()s
  SearchProjection(const SearchProjection&) = delete;
  SearchProjection& operator=(const SearchProjection&) = delete;

  // Opens the live index (creating it, or starting a fresh one when the stored one has another
  // format or cannot be read) and starts the worker. Errors: kUnavailable (another process
  // holds the index), kInternal (the directory cannot be written). Calling it twice does
  // nothing.
  core::Status Start();
  // Stops the worker after its current batch and joins it (queries keep working). Idempotent;
  // a stopped projection is not restarted (make a new one).
  void Stop();

  // SearchIndex::Query on the live index. kUnavailable before Start.
  core::Result<std::vector<std::string>> Query(const search::SearchRequest& request) const;
  // The live index's applied position (next offset per partition).
  std::vector<int64_t> Position() const;

  struct State {
    bool running = false;
    bool rebuilding = false;
    std::optional<core::Error> error;  // why the worker stopped, if it did
  };
  State Status() const;

  // Rebuilds the index from the whole log beside the live one (which keeps serving and
  // following), then switches to it once it has caught up. Blocks until then or `timeout`.
  // Errors: kDeadlineExceeded (still rebuilding; it completes in the background),
  // kFailedPrecondition (the worker is not running), kInternal.
  core::Status Rebuild(std::chrono::milliseconds timeout);

  // Makes the guild's documents match `load`'s messages: adds the missing ones, removes the
  // orphans (content of present documents is not compared). Runs on the worker thread between
  // batches. Errors: kResourceExhausted (more than `max_docs` documents), the loader's errors,
  // kDeadlineExceeded (not done within `timeout`; it may still run), kFailedPrecondition.
  core::Result<ReconcileResult> Reconcile(const std::string& guild_id, ExpectedMessagesLoader load,
                                          size_t max_docs, std::chrono::milliseconds timeout);

  struct Worker;

 private:
  void Run();
  using Job = std::function<void(Worker*)>;  // nullptr: the worker has stopped
  core::Status Submit(Job job);

  events::EventLog& log_;
  SearchProjectionOptions options_;
  AppliedObserver* observer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::unique_ptr<Worker> worker_;
  mutable std::mutex mu_;
  std::shared_ptr<IndexHandle> live_;  // guarded by mu_
  State state_;                        // guarded by mu_
  std::deque<Job> jobs_;               // guarded by mu_
};

}  // namespace filament::projections
