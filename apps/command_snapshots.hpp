#pragma once

#include <memory>
#include <string>

#include "adapters/pgstore/connection_pool.hpp"
#include "commands/command_service.hpp"
#include "commands/snapshot/snapshotter.hpp"
#include "core/config.hpp"

namespace filament::app {

// Command-side snapshots of a process with the api role (ADR 0078): the command side starts
// from the newest valid snapshot plus the log's tail, and a Snapshotter takes new ones in the
// background (FILAMENT_SNAPSHOT_EVERY_EVENTS / _INTERVAL_SECS) and at Stop(). Kept as files in
// `directory` when it is given (ADR 0092: `serve` on the embedded default), else in PostgreSQL.
class CommandSnapshots {
 public:
  CommandSnapshots(events::EventLog& log, pgstore::ConnectionPool& pool, const core::Limits& limits,
                   const std::string& directory);

  void Attach(commands::CommandService& service);  // before service.Start()
  void StartTaking();                              // after it
  void Stop();                                     // at shutdown, after the last command

 private:
  events::EventLog& log_;
  std::unique_ptr<commands::SnapshotStore> store_;
  core::Limits limits_;
  std::unique_ptr<commands::snapshot::Snapshotter> snapshotter_;
};

}  // namespace filament::app
