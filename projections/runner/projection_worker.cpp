#include "projections/runner/projection_worker.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "projections/runner/pg_support.hpp"
#include "projections/runner/projection_cursor.hpp"
#include "projections/runner/read_ahead.hpp"

namespace filament::projections {

namespace {

class Worker {
 public:
  Worker(events::EventLog& log, Projection& projection, const WorkerConfig& config,
         const std::atomic<bool>& stop)
      : log_(log),
        projection_(projection),
        config_(config),
        stop_(stop),
        cursor_(projection, log.Partitions(), config.schema),
        backoff_(config.min_backoff) {}

  core::Status Run() {
    while (!stop_.load()) {
      auto step = Step();
      if (!step.ok()) {
        if (step.error().code == core::ErrorCode::kInvalidArgument) return step;
        Log("projection " + std::string(projection_.Name()) + ": " + step.error().message +
            " (retrying)");
        reader_.reset();
        ahead_.reset();
        if (step.error().code == core::ErrorCode::kUnavailable) conn_.reset();
        Sleep();
        continue;
      }
      if (done_) return core::OkStatus();
    }
    // Best effort: a checkpoint left behind only makes the next start re-read ignored records.
    if (conn_ && cursor_.HasDeferred()) (void)cursor_.CommitDeferred(*conn_);
    return core::OkStatus();
  }

 private:
  // One unit of progress: (re)connect, (re)open the reader, or apply one polled batch.
  core::Status Step() {
    if (!conn_) {
      auto conn = pg::Connect(config_.conninfo);
      if (!conn.ok()) return conn.error();
      if (config_.async_commit) FILAMENT_RETURN_IF_ERROR(pg::AsyncCommit(**conn));
      conn_ = std::move(*conn);
    }
    if (!reader_ && !ahead_) return OpenReader();
    if (ahead_) return StepAhead();
    auto polled = reader_->Poll(config_.batch_size, config_.poll_wait);
    if (!polled.ok()) return core::Unavailable("poll: " + polled.error().message);
    DropPastUntil(*polled);
    if (polled->empty()) {
      done_ = ReachedUntil();
      return CommitDeferredWhenDue();
    }
    if (Defers()) {
      if (auto passed = cursor_.PassIgnored(*polled)) {
        Report(*passed);
        return CommitDeferredWhenDue();
      }
    }
    return ApplyBatch(*polled, {});
  }

  bool Defers() const { return config_.defer_ignored.count() > 0 && !config_.until; }

  // Commits progress PassIgnored deferred once it is defer_ignored old.
  core::Status CommitDeferredWhenDue() {
    if (!cursor_.HasDeferred()) {
      deferred_since_.reset();
      return core::OkStatus();
    }
    auto now = std::chrono::steady_clock::now();
    if (!deferred_since_) deferred_since_ = now;
    if (now - *deferred_since_ < config_.defer_ignored) return core::OkStatus();
    FILAMENT_RETURN_IF_ERROR(cursor_.CommitDeferred(*conn_));
    deferred_since_.reset();
    return core::OkStatus();
  }

  // The rebuild pipeline: apply the next prepared chunk.
  core::Status StepAhead() {
    auto chunk = ahead_->Next();
    if (!chunk.ok()) return core::Unavailable("read ahead: " + chunk.error().message);
    if (!*chunk) {
      done_ = ReachedUntil();
      if (!done_) return core::Unavailable("read ahead ended before the end offsets");
      return core::OkStatus();
    }
    return ApplyBatch((*chunk)->records, (*chunk)->prepared);
  }

  core::Status ApplyBatch(const std::vector<events::StoredRecord>& records,
                          const std::vector<std::unique_ptr<Prepared>>& prepared) {
    auto outcome = cursor_.Apply(*conn_, records, prepared);
    if (!outcome.ok()) {
      // kInvalidArgument is reserved for bad records; a database error here is retried.
      auto error = outcome.error();
      if (error.code == core::ErrorCode::kInvalidArgument) error.code = core::ErrorCode::kInternal;
      return error;
    }
    Report(*outcome);
    deferred_since_.reset();  // the batch's commit carried any deferred progress
    backoff_ = config_.min_backoff;
    if (outcome->failure) return *outcome->failure;
    done_ = ReachedUntil();
    return core::OkStatus();
  }

  core::Status OpenReader() {
    FILAMENT_RETURN_IF_ERROR(cursor_.Load(*conn_));
    for (const auto& pos : cursor_.StartPositions()) {
      if (pos.offset > 0 && config_.observer != nullptr) {
        config_.observer->OnApplied(projection_.Name(), {pos.partition, pos.offset - 1});
      }
    }
    if (ReachedUntil()) {
      done_ = true;
      return core::OkStatus();
    }
    auto reader = log_.OpenReader(cursor_.StartPositions());
    if (!reader.ok()) return core::Unavailable("open reader: " + reader.error().message);
    if (config_.read_ahead && config_.until) {
      ahead_ = std::make_unique<ReadAhead>(
          std::move(*reader), projection_, cursor_.StartPositions(), *config_.until,
          config_.batch_size, config_.read_ahead_chunks, config_.decoders);
      return core::OkStatus();
    }
    reader_ = std::move(*reader);
    return core::OkStatus();
  }

  void DropPastUntil(std::vector<events::StoredRecord>& records) const {
    if (!config_.until) return;
    const auto& until = *config_.until;
    std::erase_if(records, [&](const events::StoredRecord& r) {
      auto p = static_cast<size_t>(r.position.partition);
      return p >= until.size() || r.position.offset >= until[p];
    });
  }

  bool ReachedUntil() const {
    if (!config_.until) return false;
    const auto& next = cursor_.Next();
    for (size_t p = 0; p < next.size(); ++p) {
      int64_t end = p < config_.until->size() ? (*config_.until)[p] : 0;
      if (next[p] < end) return false;
    }
    return true;
  }

  void Report(const BatchOutcome& outcome) {
    auto name = projection_.Name();
    if (config_.metrics != nullptr) {
      config_.metrics->AddApplied(name, outcome.applied);
      if (outcome.skipped > 0) config_.metrics->AddSkipped(name, outcome.skipped);
      if (outcome.failure) config_.metrics->AddDecodeFailure(name);
    }
    if (config_.observer != nullptr) {
      for (const auto& pos : outcome.last) config_.observer->OnApplied(name, pos);
    }
    if (config_.progress) config_.progress(outcome.applied, outcome.skipped);
  }

  void Sleep() {
    auto deadline = std::chrono::steady_clock::now() + backoff_;
    while (!stop_.load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    backoff_ = std::min(backoff_ * 2, config_.max_backoff);
  }

  void Log(const std::string& line) const {
    if (config_.log) config_.log(line);
  }

  events::EventLog& log_;
  Projection& projection_;
  const WorkerConfig& config_;
  const std::atomic<bool>& stop_;
  ProjectionCursor cursor_;
  std::chrono::milliseconds backoff_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<events::LogReader> reader_;
  std::unique_ptr<ReadAhead> ahead_;  // instead of reader_ in the rebuild pipeline
  bool done_ = false;
  // When Next() first went ahead of the committed checkpoint (ADR 0097).
  std::optional<std::chrono::steady_clock::time_point> deferred_since_;
};

}  // namespace

core::Status RunProjection(events::EventLog& log, Projection& projection,
                           const WorkerConfig& config, const std::atomic<bool>& stop) {
  Worker worker(log, projection, config, stop);
  return worker.Run();
}

}  // namespace filament::projections
