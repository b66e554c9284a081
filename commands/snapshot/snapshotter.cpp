#include "commands/snapshot/snapshotter.hpp"

#include <chrono>

#include "commands/snapshot/snapshot_codec.hpp"
#include "core/thread_name.hpp"

namespace filament::commands::snapshot {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kPoll = 4096;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace

Snapshotter::Snapshotter(events::EventLog& log, SnapshotStore& store, Options options)
    : log_(log), store_(store), options_(std::move(options)) {
  if (!options_.log) options_.log = [](const std::string&) {};
}

Snapshotter::~Snapshotter() { Stop(); }

void Snapshotter::Start() {
  thread_ = core::NamedThread("snapshotter", [this] { Run(); });
}

void Snapshotter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Snapshotter::Stats Snapshotter::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

void Snapshotter::Run() {
  // Leave the CPU to the rest of the start (the gateway's fold, the search index) first.
  for (auto until = Clock::now() + options_.start_delay; Clock::now() < until;) {
    if (stop_) return;  // nothing loaded, nothing to save
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto ends = log_.EndOffsets();
  if (!ends.ok()) {
    options_.log("snapshot: log unreachable (" + ends.error().message + "); no snapshots");
    return;
  }
  fold_ = LoadNewestSnapshot(&store_, log_, *ends, options_.log);
  std::vector<events::Position> start;
  for (size_t p = 0; p < fold_->ends.size(); ++p) {
    start.push_back({static_cast<int32_t>(p), fold_->ends[p]});
  }
  auto reader = log_.OpenReader(start);
  if (!reader.ok()) {
    options_.log("snapshot: cannot read the log (" + reader.error().message + "); no snapshots");
    return;
  }
  auto last = Clock::now();
  while (!stop_) {
    if (!Follow(**reader, last)) return;
  }
  if (auto caught_up = CatchUp(**reader); !caught_up.ok()) {
    options_.log("snapshot: no snapshot at shutdown: " + caught_up.error().message);
    return;
  }
  if (unsaved_ > 0) Save();
}

// Folds one poll's records and saves when a trigger is due; false on a fold error (logged).
bool Snapshotter::Follow(events::LogReader& reader, Clock::time_point& last) {
  auto records = reader.Poll(kPoll, std::chrono::milliseconds(200));
  if (!records.ok()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // kUnavailable: retry
    return true;
  }
  for (const auto& record : *records) {
    if (auto folded = fold_->Fold(record); !folded.ok()) {
      options_.log("snapshot: stopped: " + folded.error().message);
      return false;
    }
    ++unsaved_;
  }
  const bool by_count = options_.every_events > 0 && unsaved_ >= options_.every_events;
  // By time only once caught up (a short poll): not every interval while folding history.
  const bool by_time = options_.interval_secs > 0 && unsaved_ > 0 && records->size() < kPoll &&
                       Clock::now() - last >= std::chrono::seconds(options_.interval_secs);
  if (by_count || by_time) {
    Save();
    last = Clock::now();
  }
  return true;
}

core::Status Snapshotter::CatchUp(events::LogReader& reader) {
  auto ends = log_.EndOffsets();
  if (!ends.ok()) return ends.error();
  auto behind = [&] {
    for (size_t p = 0; p < ends->size(); ++p) {
      if (fold_->ends[p] < (*ends)[p]) return true;
    }
    return false;
  };
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (behind()) {
    if (Clock::now() > deadline)
      return core::MakeError(core::ErrorCode::kDeadlineExceeded, "still behind after 30 s");
    auto records = reader.Poll(kPoll, std::chrono::milliseconds(200));
    if (!records.ok()) return records.error();
    for (const auto& record : *records) {
      FILAMENT_RETURN_IF_ERROR(fold_->Fold(record));
      ++unsaved_;
    }
  }
  return core::OkStatus();
}

void Snapshotter::Save() {
  const auto encode_start = Clock::now();
  const std::string bytes = EncodeSnapshot(*fold_);
  const int64_t encode_ms = MsSince(encode_start);
  const auto save_start = Clock::now();
  auto saved = store_.Save(bytes, fold_->ends, options_.keep);
  const int64_t save_ms = MsSince(save_start);
  if (!saved.ok()) {
    options_.log("snapshot: not saved: " + saved.error().message);
    return;
  }
  unsaved_ = 0;
  options_.log("snapshot: saved " + std::to_string(bytes.size()) + " bytes (encode " +
               std::to_string(encode_ms) + " ms, store " + std::to_string(save_ms) + " ms)");
  std::lock_guard lock(stats_mutex_);
  stats_ = {stats_.saved + 1, static_cast<int64_t>(bytes.size()), encode_ms, save_ms};
}

}  // namespace filament::commands::snapshot
