#include "apps/command_snapshots.hpp"

#include <iostream>

#include "adapters/localfs/file_snapshot_store.hpp"
#include "adapters/pgstore/pg_snapshot_store.hpp"

namespace filament::app {
namespace {

void LogLine(const std::string& line) { std::cerr << "filament: " << line << "\n"; }

}  // namespace

CommandSnapshots::CommandSnapshots(events::EventLog& log, pgstore::ConnectionPool& pool,
                                   const core::Limits& limits, const std::string& directory)
    : log_(log), limits_(limits) {
  if (directory.empty()) {
    store_ = std::make_unique<pgstore::PgSnapshotStore>(pool);
  } else {
    store_ = std::make_unique<localfs::FileSnapshotStore>(directory);
  }
}

void CommandSnapshots::Attach(commands::CommandService& service) {
  service.UseSnapshots(store_.get(), LogLine);
}

void CommandSnapshots::StartTaking() {
  if (limits_.snapshot_every_events == 0 && limits_.snapshot_interval_secs == 0) return;
  snapshotter_ = std::make_unique<commands::snapshot::Snapshotter>(
      log_, *store_,
      commands::snapshot::Snapshotter::Options{.every_events = limits_.snapshot_every_events,
                                               .interval_secs = limits_.snapshot_interval_secs,
                                               .keep = 2,
                                               .log = LogLine});
  snapshotter_->Start();
}

void CommandSnapshots::Stop() {
  if (snapshotter_) snapshotter_->Stop();
}

}  // namespace filament::app
