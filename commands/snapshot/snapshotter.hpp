#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "commands/snapshot/command_fold.hpp"
#include "commands/snapshot/snapshot_loader.hpp"
#include "commands/snapshot/snapshot_store.hpp"
#include "events/event_log.hpp"

namespace filament::commands::snapshot {

// Takes command-side snapshots in the background (ADR 0078). It keeps its OWN fold of the log
// (loaded from the newest snapshot, then following the log like any reader), so a snapshot is
// exactly the fold of a log prefix and the command path takes no lock for it: the cost is a
// second copy of the state in memory and a second fold of each event. A snapshot is saved
// after `every_events` new events or `interval_secs` with new events (0 turns a trigger off),
// and at Stop() (after catching up with the log's end as of then). It starts `start_delay`
// after Start(), so it does not compete with the rest of the process's start.
class Snapshotter {
 public:
  struct Options {
    int64_t every_events = 1'000'000;
    int64_t interval_secs = 3600;
    int keep = 2;                                   // snapshots kept in the store
    std::chrono::milliseconds start_delay{10'000};  // before loading and following the log
    LogLine log;
  };
  struct Stats {
    int64_t saved = 0;
    int64_t last_bytes = 0;
    int64_t last_encode_ms = 0;
    int64_t last_save_ms = 0;
  };

  Snapshotter(events::EventLog& log, SnapshotStore& store, Options options);
  ~Snapshotter();

  void Start();
  // Catches up with the log's current end, saves a snapshot when anything is new, and joins.
  void Stop();
  Stats stats() const;

 private:
  void Run();
  bool Follow(events::LogReader& reader, std::chrono::steady_clock::time_point& last);
  void Save();
  core::Status CatchUp(events::LogReader& reader);

  events::EventLog& log_;
  SnapshotStore& store_;
  Options options_;
  std::unique_ptr<CommandFold> fold_;
  int64_t unsaved_ = 0;  // events folded since the last saved snapshot
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex stats_mutex_;
  Stats stats_;
};

}  // namespace filament::commands::snapshot
