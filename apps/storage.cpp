#include "apps/storage.hpp"

#include <cstdio>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/postgres/embedded_cluster.hpp"
#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/pg_event_log.hpp"

namespace filament::app {

Storage::~Storage() {
  log.reset();
  if (cluster) (void)cluster->Stop();
}

core::Result<std::unique_ptr<Storage>> OpenStorage(const StorageOptions& options) {
  auto storage = std::make_unique<Storage>();
  if (options.database_url.empty()) {
    if (options.data_dir.empty()) {
      return core::InvalidArgument("give --data-dir (embedded PostgreSQL) or --database-url");
    }
    auto cluster = postgres::EmbeddedCluster::Start({.data_dir = options.data_dir});
    if (!cluster.ok()) return cluster.error();
    storage->cluster = std::move(*cluster);
    storage->conninfo = storage->cluster->ConnectionString();
  } else {
    storage->conninfo = options.database_url;
  }
  FILAMENT_RETURN_IF_ERROR(postgres::ApplyMigrations(storage->conninfo));
  const auto mode =
      options.fenced_writers ? events::WriterMode::kFenced : events::WriterMode::kSingle;
  if (options.kafka_brokers.empty()) {
    auto log = postgres::PgEventLog::Open(storage->conninfo, options.partitions, mode);
    if (!log.ok()) return log.error();
    storage->log = std::move(*log);
  } else {
    auto log = adapters::KafkaEventLog::Open({.brokers = options.kafka_brokers,
                                              .topic = options.kafka_topic,
                                              .partitions = options.partitions,
                                              .writer_mode = mode});
    if (!log.ok()) return log.error();
    storage->log = std::move(*log);
  }
  return storage;
}

}  // namespace filament::app
