#include "apps/command_snapshots.hpp"

#include <iostream>

namespace filament::app {
namespace {

void LogLine(const std::string& line) { std::cerr << "filament: " << line << "\n"; }

}  // namespace

CommandSnapshots::CommandSnapshots(events::EventLog& log, pgstore::ConnectionPool& pool,
                                   const core::Limits& limits)
    : log_(log), store_(pool), limits_(limits) {}

void CommandSnapshots::Attach(commands::CommandService& service) {
  service.UseSnapshots(&store_, LogLine);
}

void CommandSnapshots::StartTaking() {
  if (limits_.snapshot_every_events == 0 && limits_.snapshot_interval_secs == 0) return;
  snapshotter_ = std::make_unique<commands::snapshot::Snapshotter>(
      log_, store_,
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
