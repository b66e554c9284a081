#pragma once

#include <memory>
#include <string>

#include "apps/app_options.hpp"
#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::postgres {
class EmbeddedCluster;
}  // namespace filament::postgres

namespace filament::app {

// The process's storage: PostgreSQL (embedded or external, migrated) and the log.
struct Storage {
  std::unique_ptr<postgres::EmbeddedCluster> cluster;  // null with --database-url
  std::string conninfo;
  std::unique_ptr<events::EventLog> log;
  ~Storage();
};

// Starts the embedded cluster when no database URL is given, applies migrations, and opens the
// log (PostgreSQL unless Kafka brokers are given). Errors name what failed.
core::Result<std::unique_ptr<Storage>> OpenStorage(const StorageOptions& options);

}  // namespace filament::app
